import { GENDERS, JOB_STATES, OBJECT_ID_HEX } from '@userforge/contracts';

export type Schema = Record<string, unknown>;

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
export const nullable = (type: string, extra: Schema = {}): Schema => ({ type: [type, 'null'], ...extra });
export const json = (schema: Schema) => ({ 'application/json': { schema } });

// ---- Response schemas: hand-written from the view types in @userforge/contracts ----

export function objectOf(properties: Record<string, Schema>, description?: string): Schema {
  return { type: 'object', ...(description ? { description } : {}), properties, required: Object.keys(properties), additionalProperties: false };
}

export const str: Schema = { type: 'string' };
export const int: Schema = { type: 'integer' };
const dateTime: Schema = { type: 'string', format: 'date-time' };
export const objectId: Schema = { type: 'string', pattern: OBJECT_ID_HEX.source };

function pageOf(item: string): Schema {
  return objectOf(
    {
      data: { type: 'array', items: ref(item) },
      page: int,
      limit: int,
      total: nullable('integer', { description: 'Matching items, or null when the filter combination cannot be counted cheaply.' }),
      next: nullable('string', { description: 'Opaque cursor for the next page, or null on the last page.' }),
    },
    `A page of ${item} items (PaginatedData<${item}>).`,
  );
}

export function responseSchemas(): Record<string, Schema> {
  const counted = objectOf({ name: str, count: int });
  return {
    Error: {
      type: 'object',
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string', description: 'Stable, machine-readable error code, e.g. `validation_failed`.' },
            message: str,
            details: { description: 'Extra context; for `validation_failed`, a list of `{ field, message }`.' },
          },
        },
      },
    },
    Health: objectOf({ status: { const: 'ok' } }),
    Readiness: objectOf({
      status: { type: 'string', enum: ['ok', 'unavailable'] },
      checks: { type: 'object', additionalProperties: { type: 'string', description: '`ok` or `down: <reason>`' } },
    }),
    User: objectOf({
      id: objectId,
      seq: { type: 'integer', description: 'Creation order.' },
      jobId: nullable('string', { description: 'The generation job that created the user, null when created through the API.' }),
      name: objectOf({ first: str, last: str }),
      email: { type: 'string', format: 'email' },
      username: str,
      phone: str,
      gender: { type: 'string', enum: [...GENDERS] },
      birthDate: { type: 'string', format: 'date' },
      avatar: str,
      address: objectOf({ street: str, city: str, country: str }),
      company: str,
      jobTitle: str,
      createdAt: dateTime,
      updatedAt: dateTime,
      lastActive: dateTime,
    }),
    UserPage: pageOf('User'),
    Job: objectOf({
      id: objectId,
      state: { type: 'string', enum: [...JOB_STATES] },
      count: int,
      seed: int,
      chunkSize: int,
      locale: str,
      chunksTotal: int,
      chunksPublished: int,
      chunksDone: int,
      usersStored: int,
      usersPerSec: { type: 'number', description: 'Average users stored per second since the job started.' },
      etaSeconds: nullable('number', { description: 'Estimated seconds to completion, null when unknown or finished.' }),
      progress: { type: 'number', minimum: 0, maximum: 1 },
      createdAt: dateTime,
      startedAt: nullable('string', { format: 'date-time' }),
      finishedAt: nullable('string', { format: 'date-time' }),
      updatedAt: dateTime,
      error: nullable('string'),
    }),
    JobPage: pageOf('Job'),
    JobEvent: objectOf({ type: { const: 'job' }, job: ref('Job') }, 'The `data` of a `job` Server-Sent Event.'),
    Activity: objectOf({ id: str, userId: objectId, type: str, at: dateTime, device: str, browser: str, os: str }),
    ActivityPage: objectOf({ data: { type: 'array', items: ref('Activity') } }),
    ActivityAccepted: objectOf({ id: str, userId: objectId, type: str, at: dateTime }, 'Accepted for storage; device, browser and OS are parsed when it is stored.'),
    Counted: counted,
    UserCount: objectOf({ total: { type: ['integer', 'null'], description: 'Null when the filter combination cannot be counted without a scan.' } }),
    Point: objectOf({ t: { type: 'string', format: 'date-time' }, value: { type: 'number' } }),
    Series: objectOf({
      source: { type: 'string', enum: ['prometheus', 'api'] },
      throughput: { type: 'array', items: ref('Point'), description: 'Users stored per second.' },
      lag: { type: 'array', items: ref('Point'), description: 'Consumer lag (messages; chunks waiting when from the API).' },
    }),
    Stats: objectOf({
      totalUsers: int,
      totalActivityEvents: int,
      countries: int,
      activeUsers: objectOf({ daily: int, weekly: int, monthly: int }),
      topCountries: { type: 'array', items: ref('Counted') },
      genders: { type: 'array', items: ref('Counted') },
      devices: { type: 'array', items: ref('Counted') },
      browsers: { type: 'array', items: ref('Counted') },
      os: { type: 'array', items: ref('Counted') },
      topUsers: { type: 'array', items: objectOf({ userId: objectId, count: int }) },
      computedAt: dateTime,
    }),
  };
}

// ---- Responses, headers and errors shared by operations ----

export const errorResponse = (description: string, headers?: Schema): Schema => ({
  description,
  ...(headers ? { headers } : {}),
  content: json(ref('Error')),
});

export const ERROR_RESPONSES = {
  400: ['BadRequest', errorResponse('Invalid input (`validation_failed`, `invalid_id`) or malformed JSON.')],
  401: ['Unauthorized', errorResponse('Missing or wrong `x-api-key` (only when the server is configured with an API key).')],
  404: ['NotFound', errorResponse('No such resource.')],
  409: ['Conflict', errorResponse('The request conflicts with the current state of the resource.')],
  413: ['PayloadTooLarge', errorResponse('The request body is larger than 100 kB.')],
  415: ['UnsupportedMediaType', errorResponse('The request body is not `application/json`.')],
  429: [
    'TooManyRequests',
    errorResponse('Rate limited (`rate_limited`).', {
      'Retry-After': { $ref: '#/components/headers/RetryAfter' },
      RateLimit: { $ref: '#/components/headers/RateLimit' },
      'RateLimit-Policy': { $ref: '#/components/headers/RateLimitPolicy' },
    }),
  ],
  503: ['NotReady', errorResponse('A dependency (MongoDB, Redis, Kafka) is unavailable.')],
} as const;
export type ErrorStatus = keyof typeof ERROR_RESPONSES;

export function errors(...statuses: ErrorStatus[]): Record<string, Schema> {
  return Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/${ERROR_RESPONSES[s][0]}` }]));
}

export const HEADERS: Record<string, Schema> = {
  Location: { description: 'URL of the created resource.', schema: { type: 'string' } },
  XCache: { description: 'Whether the response came from the cache.', schema: { type: 'string', enum: ['HIT', 'MISS', 'BYPASS'] } },
  RetryAfter: { description: 'Seconds until the client may retry.', schema: { type: 'integer' } },
  RateLimit: { description: 'Remaining quota (IETF RateLimit headers, draft 8).', schema: { type: 'string' } },
  RateLimitPolicy: { description: 'Quota policy (IETF RateLimit headers, draft 8).', schema: { type: 'string' } },
};
export const header = (name: string) => ({ $ref: `#/components/headers/${name}` });
