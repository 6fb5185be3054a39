import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';

export type Method = 'get' | 'post' | 'patch' | 'delete';

/** Error statuses an operation may answer with `{ error: { code, message } }` (see openapi.ts for each one's meaning). */
export type ErrorStatus = 400 | 401 | 404 | 406 | 409 | 413 | 415 | 429 | 500 | 503;

/** Response headers the document describes; `required` ones are sent on every such response. */
export type HeaderName = 'Location' | 'X-Cache' | 'Deprecation' | 'Link' | 'Content-Disposition' | 'X-Export-Complete' | 'X-Job-State';

export interface ResponseSpec {
  description: string;
  /** The body's schema; none for an empty body. */
  schema?: z.ZodType;
  /** Default `application/json`. */
  contentType?: string;
  /**
   * Instead of `schema` and `contentType`: the body in each media type the client may choose (by
   * `Accept` or a query). For a line-delimited type, the schema of one line.
   */
  media?: Record<string, z.ZodType>;
  headers?: HeaderName[];
}

export interface Input<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

/**
 * What a handler answers: a status and a JSON body (or already serialised JSON text), or a `stream`,
 * and headers.
 */
export interface Reply {
  status: number;
  body?: unknown;
  json?: string;
  /** A body sent as it is produced, with backpressure; see stream.ts (gzip, failures). */
  stream?: AsyncIterable<string>;
  headers?: Record<string, string>;
}

/**
 * One operation of the API, declared once: the Express router validates and dispatches with it, and
 * the OpenAPI document is generated from it, so the two cannot drift.
 */
export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  /** Express form: `/v1/users/:id`. */
  path: string;
  operationId: string;
  summary: string;
  tag: 'health' | 'jobs' | 'events' | 'users' | 'activity' | 'stats';
  description?: string;
  deprecated?: boolean;
  /** How inputs are named in error messages, e.g. `invalid job: count: …`. */
  bodyName?: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** The body may be left out altogether (it is then validated as `{}`). */
  bodyOptional?: boolean;
  responses: Record<number, ResponseSpec>;
  errors: ErrorStatus[];
  /** Guards run first (API key, rate limit); their statuses are added to the document. */
  guard?: Guard;
  /** The handler, given validated input; `stream` routes write the response themselves. */
  handle(input: Input<P, Q, B>): Promise<Reply | 'streamed'> | Reply;
}

/** Middleware in front of a route, and what it can answer. */
export interface Guard {
  handlers: RequestHandler[];
  /** True when it demands the API key (declared as the `apiKey` security scheme). */
  apiKey: boolean;
  /** True when it rate-limits (declares 429). */
  rateLimited: boolean;
}

/** Declares a route with its types inferred from its schemas. */
export function route<P, Q, B>(spec: RouteSpec<P, Q, B>): RouteSpec {
  return spec as unknown as RouteSpec;
}
