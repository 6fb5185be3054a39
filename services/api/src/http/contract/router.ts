import { Router, type Request, type RequestHandler } from 'express';
import type { z } from 'zod';
import { AppError, parseInput, requireJson } from '@userforge/platform';
import type { RouteSpec } from './route';
import { sendStream } from './stream';

/** Path parameters are ids: a bad one is `invalid_id`. */
function parsePath(schema: z.ZodType, params: unknown): unknown {
  try {
    return parseInput(schema, params, 'path');
  } catch (err) {
    if (err instanceof AppError) throw new AppError('invalid_id', err.message, 400, true, err.details);
    throw err;
  }
}

/** Whether the request carries a body at all (a length, or chunked). */
const hasBody = (req: Request) => Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;

const toExpressMethod = { get: 'get', post: 'post', patch: 'patch', delete: 'delete' } as const;

/** The methods a path answers, as the `Allow` header lists them. */
export function allowedMethods(routes: RouteSpec[], path: string): string[] {
  const methods = routes.filter((r) => r.path === path).map((r) => r.method.toUpperCase());
  if (methods.includes('GET')) methods.push('HEAD');
  return [...new Set([...methods, 'OPTIONS'])];
}

/**
 * The Express router of a route table: for each route its guards, a JSON check when it takes a
 * body, validation of path, query and body, then the handler. Every declared path answers other
 * methods with 405 and an `Allow` header.
 */
export function routerFor(routes: RouteSpec[]): Router {
  const router = Router();
  // Concrete paths before templated ones, as OpenAPI matches them: `/v1/users/count` is not user "count".
  const paths = [...new Set(routes.map((r) => r.path))].sort((a, b) => paramCount(a) - paramCount(b));
  for (const path of paths) {
    for (const spec of routes.filter((r) => r.path === path)) router[toExpressMethod[spec.method]](path, ...steps(spec));
    const allow = allowedMethods(routes, path).join(', ');
    router.all(path, (req, res, next) => {
      res.setHeader('Allow', allow);
      next(new AppError('method_not_allowed', `${req.method} is not allowed on ${path}; allowed: ${allow}`, 405));
    });
  }
  return router;
}

const paramCount = (path: string) => (path.match(/:/g) ?? []).length;

/** A route's middleware: its guards, a JSON check when it takes a body, validation, then the handler. */
function steps(spec: RouteSpec): RequestHandler[] {
  const handlers: RequestHandler[] = [...(spec.guard?.handlers ?? [])];
  if (spec.body) handlers.push(spec.bodyOptional ? (req, res, next) => (hasBody(req) ? requireJson(req, res, next) : next()) : requireJson);
  handlers.push(async (req, res) => {
    const params = spec.params ? parsePath(spec.params, req.params) : req.params;
    const query = spec.query ? parseInput(spec.query, req.query, 'query') : req.query;
    const raw = spec.bodyOptional && !hasBody(req) ? {} : req.body;
    const body = spec.body ? parseInput(spec.body, raw, spec.bodyName ?? 'body') : undefined;
    const reply = await spec.handle({ params, query, body, req, res });
    if (reply === 'streamed') return;
    if (reply.stream) return sendStream(req, res, { ...reply, stream: reply.stream });
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
    res.status(reply.status);
    if (reply.json !== undefined) res.type('application/json').send(reply.json);
    else if (reply.body === undefined) res.end();
    else res.json(reply.body);
  });
  return handlers;
}
