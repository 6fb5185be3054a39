import { timingSafeEqual } from 'node:crypto';
import cors from 'cors';
import type { RequestHandler } from 'express';
import { rateLimit as expressRateLimit, type AugmentedRequest } from 'express-rate-limit';
import helmet from 'helmet';

const passthrough: RequestHandler = (_req, _res, next) => next();

/**
 * Helmet tuned for a JSON API: nothing it answers should ever load scripts, styles or frames, so the
 * policy denies everything instead of helmet's page-oriented defaults.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
}

/** `RateLimit*` cannot be a pattern in Access-Control-Expose-Headers, so the draft-8 names are listed. */
const EXPOSED_HEADERS = ['X-Cache', 'Location', 'RateLimit', 'RateLimit-Policy', 'Retry-After', 'Content-Disposition', 'X-Export-Complete', 'X-Job-State'];

/**
 * CORS for the listed origins only (exact match; `*` allows any). Another origin simply gets no
 * CORS headers, so the browser blocks it while non-browser clients are unaffected.
 */
export function corsFor(origins: string[]): RequestHandler {
  return cors({
    origin: origins.includes('*') ? '*' : origins,
    methods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['content-type', 'x-api-key'],
    exposedHeaders: EXPOSED_HEADERS,
  });
}

/** Seconds until the window resets, as the limiter computes it for `Retry-After`. */
export function retryAfterSeconds(resetTime: Date | undefined, windowMs: number, now: number = Date.now()): number {
  const ms = resetTime ? resetTime.getTime() - now : windowMs;
  return Math.max(0, Math.ceil(ms / 1000));
}

export function rateLimitedBody(name: string, seconds: number) {
  return { error: { code: 'rate_limited', message: `too many ${name} requests; retry after ${seconds} s` } };
}

/**
 * Per-client request limit with the IETF `RateLimit` headers. The store is in memory, so each
 * replica counts on its own: a safety net against a runaway client, not a global quota.
 * `max <= 0` turns it off, so the limit can be disabled through configuration.
 */
export function rateLimit(opts: { windowMs: number; max: number; name: string }): RequestHandler {
  if (opts.max <= 0) return passthrough;
  return expressRateLimit({
    windowMs: opts.windowMs,
    limit: opts.max,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: opts.name,
    handler: (req, res) => {
      const seconds = retryAfterSeconds((req as AugmentedRequest).rateLimit?.resetTime, opts.windowMs);
      res.status(429).json(rateLimitedBody(opts.name, seconds));
    },
  });
}

/** Constant-time comparison, so response timing does not reveal how much of a guessed key matched. */
export function keyMatches(sent: string | undefined, expected: string): boolean {
  if (sent === undefined) return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  // timingSafeEqual throws on different lengths; a wrong length is simply a wrong key.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Requires `x-api-key` when a key is configured; without one the API stays open (local development). */
export function requireApiKey(apiKey: string | undefined): RequestHandler {
  if (!apiKey) return passthrough;
  return (req, res, next) => {
    if (keyMatches(req.get('x-api-key'), apiKey)) {
      next();
      return;
    }
    res.status(401).json({ error: { code: 'unauthorized', message: 'send a valid API key in the x-api-key header' } });
  };
}
