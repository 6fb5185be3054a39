import { z } from 'zod';
import { JOB_STATES, errorBodySchema } from '@userforge/contracts';
import type { ErrorStatus, HeaderName, RouteSpec } from './route';

type Schema = Record<string, unknown>;

/** JSON Schema of a zod schema as input (what a client may send) or output (what the server answers). */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Schema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' }) as Schema;
  return rest;
}

/** One parameter per property of an object schema, keeping the property's own constraints. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Schema[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input');
  const properties = (object.properties ?? {}) as Record<string, Schema>;
  const required = (object.required ?? []) as string[];
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: where, required: where === 'path' || required.includes(name), ...(description ? { description } : {}), schema: rest };
  });
}

const ERRORS: Record<ErrorStatus, string> = {
  400: 'Invalid input (`validation_failed`, `invalid_id`) or malformed JSON.',
  401: 'Missing or wrong `x-api-key`.',
  404: 'No such resource.',
  406: 'None of the media types the operation answers with is acceptable (`Accept`).',
  409: 'The request conflicts with the current state of the resource.',
  413: 'The request body is too large.',
  415: 'The request body is not `application/json`.',
  429: 'Rate limited (`rate_limited`); `Retry-After` says when to retry.',
  500: 'An unexpected error (logged and counted by the server).',
  503: 'A dependency (MongoDB, Redis, Kafka) is unavailable; retry later.',
};

const HEADERS: Record<HeaderName, Schema> = {
  Location: { description: 'URL of the created or accepted resource.', schema: { type: 'string' } },
  'X-Cache': { description: 'Whether the response came from the cache.', schema: { type: 'string', enum: ['HIT', 'MISS', 'BYPASS'] } },
  Deprecation: { description: 'This route is deprecated (RFC 9745): the date it was deprecated.', schema: { type: 'string' } },
  Link: { description: 'The route that replaces this one (`rel="successor-version"`).', schema: { type: 'string' } },
  'Content-Disposition': { description: 'Sent as a file download, with its file name.', schema: { type: 'string' } },
  'X-Export-Complete': {
    description: '`true` when the job had succeeded as the export started (every one of its users is in it); `false` while it is at work, or when it ended otherwise.',
    schema: { type: 'string', enum: ['true', 'false'] },
  },
  'X-Job-State': { description: "The job's state as the export started.", schema: { type: 'string', enum: [...JOB_STATES] } },
};

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

function operation(spec: RouteSpec): Schema {
  const responses: Record<string, Schema> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    responses[status] = {
      description: r.description,
      ...(r.headers?.length ? { headers: Object.fromEntries(r.headers.map((h) => [h, { ...HEADERS[h], required: true }])) } : {}),
      ...(r.media ? { content: Object.fromEntries(Object.entries(r.media).map(([type, schema]) => [type, { schema: jsonSchema(schema, 'output') }])) } : {}),
      ...(r.schema ? { content: { [r.contentType ?? 'application/json']: { schema: jsonSchema(r.schema, 'output') } } } : {}),
    };
  }
  const errors = new Set<ErrorStatus>([...spec.errors, 500]);
  if (spec.body) for (const s of [400, 413, 415] as const) errors.add(s);
  if (spec.params || spec.query) errors.add(400);
  if (spec.guard?.apiKey) errors.add(401);
  if (spec.guard?.rateLimited) errors.add(429);
  for (const status of [...errors].sort()) {
    const headers = status === 429 ? { headers: { 'Retry-After': { description: 'Seconds until the client may retry.', required: true, schema: { type: 'integer' } } } } : {};
    responses[String(status)] = { description: ERRORS[status], ...headers, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  return {
    operationId: spec.operationId,
    tags: [spec.tag],
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    ...(spec.deprecated ? { deprecated: true } : {}),
    ...(spec.guard?.apiKey ? { security: [{ apiKey: [] }] } : {}),
    parameters: [...parameters(spec.params, 'path'), ...parameters(spec.query, 'query')],
    ...(spec.body ? { requestBody: { required: !spec.bodyOptional, content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } } } } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of a route table: every operation, its inputs, its answers. */
export function openApiDocument(routes: RouteSpec[], info: { version: string; apiKey: boolean }): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const spec of routes) {
    const path = toOpenApiPath(spec.path);
    paths[path] = { ...paths[path], [spec.method]: operation(spec) };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'userforge API', version: info.version, description: 'Generates, stores and serves fake users. A method a path does not list here is answered `405` with an `Allow` header.' },
    tags: ['health', 'jobs', 'events', 'users', 'activity', 'stats'].map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBodySchema, 'output') },
      ...(info.apiKey
        ? { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'Required on the routes that change data.' } } }
        : {}),
    },
  };
}
