import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import { AppError, toErrorResponse } from './errors';
import type { Logger } from './logger';
import { METRIC_PREFIX, createHttpDurationHistogram } from './metrics';

/** Route template (`/v1/users/:id`), never the raw URL, so label cardinality stays bounded. */
function routeLabel(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route?.path;
  return typeof route === 'string' ? `${req.baseUrl}${route}` : 'unmatched';
}

export function httpMetricsMiddleware(registry: Registry): RequestHandler {
  const histogram = createHttpDurationHistogram(registry);
  return (req, res, next) => {
    const end = histogram.startTimer();
    res.on('finish', () => end({ method: req.method, route: routeLabel(req), status_code: String(res.statusCode) }));
    next();
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'route_not_found', message: `no route for ${req.method} ${req.path}` } });
};

/** The single place where thrown errors become `{ error: { code, message } }` responses. */
export function errorHandler(logger: Logger, registry: Registry): ErrorRequestHandler {
  const unexpected = new Counter({
    name: `${METRIC_PREFIX}http_unexpected_errors_total`,
    help: 'Unexpected errors raised while handling HTTP requests.',
    registers: [registry],
  });
  return (err, req, res, _next) => {
    const { status, body, expected } = toErrorResponse(err);
    if (!expected) {
      unexpected.inc();
      logger.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    }
    if (res.headersSent) {
      // Part of the body is out: cut the connection, since a clean end would read as a complete body.
      res.destroy();
      return;
    }
    res.status(status).json(body);
  };
}

/** 415 unless the request says its body is JSON (a form post or plain text is refused, not guessed at). */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) {
    next(new AppError('unsupported_media_type', 'send the body as application/json', 415));
    return;
  }
  next();
};
