import { Router } from 'express';
import { z } from 'zod';
import {
  createJobRequestSchema,
  createUserRequestSchema,
  listUsersQuerySchema,
  paginationQuerySchema,
  recordActivityRequestSchema,
  updateUserRequestSchema,
  userIdSchema,
} from '@userforge/contracts';
import { ERROR_RESPONSES, HEADERS, errors, header, int, json, objectId, ref, responseSchemas, str, type ErrorStatus, type Schema } from './openapi-components';

/**
 * JSON Schema of what a zod schema accepts (`io: 'input'`), so the document describes exactly what
 * the server validates. Refinements cannot be expressed and become no constraint rather than an error.
 */
function inputSchema(schema: z.ZodType): Schema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;
  return rest;
}

/** One query parameter per property of an object schema, keeping the property's own constraints. */
function queryParameters(schema: z.ZodType): Schema[] {
  const object = inputSchema(schema);
  const properties = (object.properties ?? {}) as Record<string, Schema>;
  const required = (object.required ?? []) as string[];
  return Object.entries(properties).map(([name, property]) => ({ name, in: 'query', required: required.includes(name), schema: property }));
}

const pathId = (what: string, schema: Schema): Schema => ({ name: 'id', in: 'path', required: true, description: `${what} id`, schema });

function ok(description: string, schemaName: string, extra: Schema = {}): Schema {
  return { description, ...extra, content: json(ref(schemaName)) };
}

// Every /v1 route passes the rate limiter and may find a dependency down.
const V1_ERRORS: ErrorStatus[] = [429, 503];
// Mutating routes carry the API key; express.json runs on them, so oversized bodies are refused too.
const MUTATING_ERRORS: ErrorStatus[] = [401, 413, ...V1_ERRORS];
const API_KEY = [{ apiKey: [] }];

/** The OpenAPI 3.1 description of the whole API. Request schemas come from the zod contracts. */
export function buildOpenApiDocument(opts: { maxJobCount: number; version: string }): object {
  const userId = pathId('User', inputSchema(userIdSchema));
  const jobId = pathId('Job', objectId);
  const body = (schema: z.ZodType, description?: string) => ({ required: true, ...(description ? { description } : {}), content: json(inputSchema(schema)) });
  // The refine "send at least one field" has no JSON Schema form of its own; minProperties says the same.
  const updateUser = { ...inputSchema(updateUserRequestSchema), minProperties: 1 };

  const jobAccepted = ok('Job accepted; progress is reported on `GET /v1/jobs/{id}` and `GET /v1/events`.', 'Job', {
    headers: { Location: header('Location') },
  });
  const generateUsers = (method: 'post' | 'get') => ({
    operationId: method === 'post' ? 'generateUsers' : 'generateUsersLegacy',
    tags: ['jobs'],
    summary: method === 'post' ? 'Start a generation job for `count` users (legacy form of POST /v1/jobs)' : 'Start a generation job (legacy GET)',
    ...(method === 'get' ? { deprecated: true, description: 'Kept for old clients; use `POST /v1/jobs`.' } : {}),
    security: API_KEY,
    parameters: [{ name: 'count', in: 'path', required: true, description: `1 to ${opts.maxJobCount}`, schema: { type: 'string', pattern: '^\\d{1,16}$' } }],
    responses: { '202': jobAccepted, ...errors(400, ...MUTATING_ERRORS) },
  });
  const listUsers = (operationId: string, summary: string) => ({
    operationId,
    tags: ['users'],
    summary,
    parameters: queryParameters(listUsersQuerySchema),
    responses: { '200': ok('A page of users.', 'UserPage', { headers: { 'X-Cache': header('XCache') } }), ...errors(400, ...V1_ERRORS) },
  });
  const activityAccepted = ok('Activity accepted.', 'ActivityAccepted');

  const paths = {
    '/healthz': {
      get: { operationId: 'getLiveness', tags: ['health'], summary: 'Liveness: the process serves HTTP', responses: { '200': ok('Alive.', 'Health') } },
    },
    '/readyz': {
      get: {
        operationId: 'getReadiness',
        tags: ['health'],
        summary: 'Readiness: the dependencies answer',
        responses: { '200': ok('Ready.', 'Readiness'), '503': ok('A dependency is down.', 'Readiness') },
      },
    },
    '/metrics': {
      get: {
        operationId: 'getMetrics',
        tags: ['health'],
        summary: 'Prometheus metrics',
        responses: { '200': { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'getOpenApiDocument',
        tags: ['health'],
        summary: 'This document',
        responses: { '200': { description: 'OpenAPI 3.1 document.', content: json({ type: 'object' }) } },
      },
    },
    '/v1/jobs': {
      post: {
        operationId: 'createJob',
        tags: ['jobs'],
        summary: 'Start a user generation job',
        security: API_KEY,
        requestBody: body(createJobRequestSchema(opts.maxJobCount)),
        responses: { '202': jobAccepted, ...errors(400, 415, ...MUTATING_ERRORS) },
      },
      get: {
        operationId: 'listJobs',
        tags: ['jobs'],
        summary: 'List jobs, newest first',
        parameters: queryParameters(paginationQuerySchema),
        responses: { '200': ok('A page of jobs.', 'JobPage'), ...errors(400, ...V1_ERRORS) },
      },
    },
    '/v1/jobs/{id}': {
      get: {
        operationId: 'getJob',
        tags: ['jobs'],
        summary: 'Get a job',
        parameters: [jobId],
        responses: { '200': ok('The job.', 'Job'), ...errors(400, 404, ...V1_ERRORS) },
      },
    },
    '/v1/jobs/{id}/cancel': {
      post: {
        operationId: 'cancelJob',
        tags: ['jobs'],
        summary: 'Cancel a job that has not finished',
        security: API_KEY,
        parameters: [jobId],
        responses: { '200': ok('The cancelled job.', 'Job'), ...errors(400, 404, 409, ...MUTATING_ERRORS) },
      },
    },
    '/v1/generate/users/random/{count}': { post: generateUsers('post'), get: generateUsers('get') },
    '/v1/events': {
      get: {
        operationId: 'streamEvents',
        tags: ['events'],
        summary: 'Server-Sent Events: a snapshot of active jobs, then every job change',
        responses: {
          '200': {
            description:
              'An event stream. Each `job` event (`event: job`) carries a JSON `JobEvent` (`{ "type": "job", "job": Job }`) as its `data`; ' +
              'comment lines are heartbeats; `retry` sets the reconnect delay.',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
            'x-sse-events': { job: { data: ref('JobEvent') } },
          },
          ...errors(...V1_ERRORS),
        },
      },
    },
    '/v1/users': {
      get: listUsers('listUsers', 'List users: filter, sort, paginate'),
      post: {
        operationId: 'createUser',
        tags: ['users'],
        summary: 'Create a user',
        security: API_KEY,
        requestBody: body(createUserRequestSchema),
        responses: {
          '201': ok('The created user.', 'User', { headers: { Location: header('Location') } }),
          ...errors(400, 409, ...MUTATING_ERRORS),
        },
      },
    },
    '/v1/user': { get: listUsers('listUsersLegacy', 'List users (legacy alias of GET /v1/users)') },
    '/v1/users/count': {
      get: {
        operationId: 'countUsers',
        tags: ['users'],
        summary: 'How many users match the same filters as the listing',
        parameters: queryParameters(listUsersQuerySchema),
        responses: { '200': ok('The total.', 'UserCount'), ...errors(400, ...V1_ERRORS) },
      },
    },
    '/v1/metrics/series': {
      get: {
        operationId: 'getMetricsSeries',
        tags: ['stats'],
        summary: 'Generation throughput and consumer lag over the last 15 minutes',
        responses: { '200': ok('Two time series.', 'Series'), ...errors(...V1_ERRORS) },
      },
    },
    '/v1/users/{id}': {
      get: {
        operationId: 'getUser',
        tags: ['users'],
        summary: 'Get a user',
        parameters: [userId],
        responses: { '200': ok('The user.', 'User'), ...errors(400, 404, ...V1_ERRORS) },
      },
      patch: {
        operationId: 'updateUser',
        tags: ['users'],
        summary: 'Change some fields of a user',
        security: API_KEY,
        parameters: [userId],
        requestBody: { required: true, description: 'At least one field.', content: json(updateUser) },
        responses: { '200': ok('The updated user.', 'User'), ...errors(400, 404, 409, ...MUTATING_ERRORS) },
      },
      delete: {
        operationId: 'deleteUser',
        tags: ['users'],
        summary: 'Delete a user',
        security: API_KEY,
        parameters: [userId],
        responses: { '204': { description: 'Deleted.' }, ...errors(400, 404, ...MUTATING_ERRORS) },
      },
    },
    '/v1/users/{id}/activity': {
      post: {
        operationId: 'recordUserActivity',
        tags: ['activity'],
        summary: "Record an activity of a user (device, browser and OS come from the request's User-Agent)",
        security: API_KEY,
        parameters: [userId],
        requestBody: body(recordActivityRequestSchema),
        responses: { '202': activityAccepted, ...errors(400, 404, ...MUTATING_ERRORS) },
      },
      get: {
        operationId: 'listUserActivity',
        tags: ['activity'],
        summary: "A user's most recent activity, newest first",
        parameters: [userId, { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } }],
        responses: { '200': ok('Recent activity.', 'ActivityPage'), ...errors(400, 404, ...V1_ERRORS) },
      },
    },
    '/v1/user/activity/{id}': {
      get: {
        operationId: 'recordUserVisitLegacy',
        tags: ['activity'],
        summary: 'Record a `visit` activity (legacy GET; changes state)',
        security: API_KEY,
        parameters: [userId],
        responses: { '202': activityAccepted, ...errors(400, 404, ...MUTATING_ERRORS) },
      },
    },
    '/v1/stats': {
      get: {
        operationId: 'getStats',
        tags: ['stats'],
        summary: 'Counts and distributions for the dashboard',
        responses: { '200': ok('Statistics.', 'Stats'), ...errors(...V1_ERRORS) },
      },
    },
  };

  return {
    openapi: '3.1.0',
    info: { title: 'userforge API', version: opts.version, description: 'Generates, stores and serves fake users.' },
    tags: ['health', 'jobs', 'events', 'users', 'activity', 'stats'].map((name) => ({ name })),
    paths,
    components: {
      schemas: responseSchemas(),
      responses: Object.fromEntries(Object.values(ERROR_RESPONSES)),
      headers: HEADERS,
      securitySchemes: {
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: 'Required on mutating routes only when the server is configured with an API key.',
        },
      },
    },
  };
}

export function openapiRoutes(doc: object): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  return router;
}
