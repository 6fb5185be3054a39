import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { corsFor, rateLimit, requireApiKey, retryAfterSeconds, securityHeaders } from '../src/http/security';

/** A tiny app with only the security middlewares, each on its own path so the tests stay independent. */
function securedApp(): express.Express {
  const app = express();
  app.use(securityHeaders());
  app.use(corsFor(['https://dash.example']));
  const okHandler: express.RequestHandler = (_req, res) => {
    res.json({ ok: true });
  };
  app.get('/open', okHandler);
  app.get('/keyed', requireApiKey('s3cret-key'), okHandler);
  app.get('/unkeyed', requireApiKey(''), okHandler);
  app.get('/limited', rateLimit({ windowMs: 60_000, max: 2, name: 'test' }), okHandler);
  app.get('/unlimited', rateLimit({ windowMs: 60_000, max: 0, name: 'test' }), okHandler);
  return app;
}

describe('security middlewares', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = await new Promise<Server>((resolve) => {
      const s = securedApp().listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  });

  it('answers a missing or wrong API key with a JSON 401', async () => {
    const attempts: Record<string, string>[] = [{}, { 'x-api-key': 'wrong' }, { 'x-api-key': 's3cret-kez' }];
    for (const headers of attempts) {
      const res = await fetch(`${base}/keyed`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: 'send a valid API key in the x-api-key header' } });
    }
  });

  it('lets the right API key through, and everything through when no key is configured', async () => {
    expect((await fetch(`${base}/keyed`, { headers: { 'x-api-key': 's3cret-key' } })).status).toBe(200);
    expect((await fetch(`${base}/unkeyed`)).status).toBe(200);
  });

  it('rate limits with a JSON 429 and RateLimit headers', async () => {
    const first = await fetch(`${base}/limited`);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit')).toMatch(/"test"; r=1; t=\d+/);
    expect((await fetch(`${base}/limited`)).status).toBe(200);
    const third = await fetch(`${base}/limited`);
    expect(third.status).toBe(429);
    expect(third.headers.get('ratelimit')).toMatch(/r=0/);
    expect(third.headers.get('ratelimit-policy')).toMatch(/q=2; w=60/);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await third.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringMatching(/^too many test requests; retry after \d+ s$/) } });
  });

  it('does not limit when max is 0', async () => {
    for (let i = 0; i < 4; i++) expect((await fetch(`${base}/unlimited`)).status).toBe(200);
  });

  it('sends CORS headers to allowed origins only', async () => {
    const allowed = await fetch(`${base}/open`, { headers: { origin: 'https://dash.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://dash.example');
    expect(allowed.headers.get('access-control-expose-headers')).toMatch(/X-Cache.*Location.*RateLimit.*Retry-After/);
    const other = await fetch(`${base}/open`, { headers: { origin: 'https://evil.example' } });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${base}/keyed`, {
      method: 'OPTIONS',
      headers: { origin: 'https://dash.example', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'x-api-key' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type,x-api-key');
  });

  it('sets helmet security headers suited to a JSON API', async () => {
    const res = await fetch(`${base}/open`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-site');
  });

  it('computes Retry-After seconds from the reset time', () => {
    expect(retryAfterSeconds(new Date(10_500), 60_000, 10_000)).toBe(1);
    expect(retryAfterSeconds(undefined, 60_000)).toBe(60);
    expect(retryAfterSeconds(new Date(0), 60_000, 10_000)).toBe(0);
  });
});

describe('corsFor with *', () => {
  it('allows any origin', async () => {
    const app = express();
    app.use(corsFor(['*']));
    app.get('/', (_req, res) => {
      res.json({});
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { headers: { origin: 'https://anything.example' } });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
