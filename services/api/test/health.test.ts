import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadApiConfig } from '../src/config';
import { start, type RunningApi } from '../src/main';
import { testEnv, testMongoUrl } from '@userforge/testkit';

describe('api process (real MongoDB-wire database and Redis)', () => {
  let api: RunningApi;
  let base: string;
  beforeAll(async () => {
    const { REDIS_URL, KAFKA_BROKERS } = testEnv();
    api = await start(
      loadApiConfig({ MONGO_URL: testMongoUrl('api_health'), REDIS_URL, KAFKA_BROKERS, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }),
    );
    base = `http://127.0.0.1:${api.port}`;
  });
  afterAll(async () => {
    await api.stop();
  });

  it('is live and ready when its dependencies answer', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { mongo: 'ok', redis: 'ok' } });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await fetch(`${base}/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'route_not_found', message: 'no route for GET /v1/nothing-here' } });
  });

  it('answers a malformed JSON body with a JSON 400', async () => {
    const res = await fetch(`${base}/v1/anything`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"count": ' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'entity_parse_failed' } });
  });

  it('rejects bodies over the size limit with 413', async () => {
    const res = await fetch(`${base}/v1/anything`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(200_000) }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'entity_too_large' } });
  });

  it("keeps an idle connection open past Node's 5 s default, as a proxy in front expects, and says for how long", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ reused: boolean; keepAlive: unknown }>((resolve, reject) => {
        const req = http.get(`${base}/healthz`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ reused: req.reusedSocket, keepAlive: res.headers['keep-alive'] }));
        });
        req.on('error', reject);
      });
    try {
      expect(await get()).toEqual({ reused: false, keepAlive: 'timeout=65' });
      await sleep(6_000);
      expect(await get()).toEqual({ reused: true, keepAlive: 'timeout=65' });
    } finally {
      agent.destroy();
    }
  });

  it('exposes Prometheus metrics named by convention, labelled by route template', async () => {
    await fetch(`${base}/healthz`);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/userforge_http_request_duration_seconds_bucket\{.*route="\/healthz".*status_code="200"/);
    expect(text).toMatch(/userforge_process_resident_memory_bytes\{app="api"\}/);
  });
});

describe('api config', () => {
  it('fails fast on a bad port, naming the variable', () => {
    expect(() => loadApiConfig({ PORT: 'ninety' })).toThrow(/PORT/);
  });

  it('refuses a keep-alive timeout under a second, naming the variable', () => {
    expect(() => loadApiConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '500' })).toThrow(/HTTP_KEEP_ALIVE_TIMEOUT_MS/);
  });
});

describe('api process with Redis unreachable', () => {
  it('still starts and serves, reports Redis in readiness, and keeps accepting jobs', async () => {
    const { KAFKA_BROKERS } = testEnv();
    const { freePort } = await import('@userforge/devstack');
    const api = await start(
      loadApiConfig({
        MONGO_URL: testMongoUrl('api_no_redis'),
        REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
        KAFKA_BROKERS,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
      }),
    );
    try {
      const base = `http://127.0.0.1:${api.port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'unavailable', checks: { mongo: 'ok', redis: expect.stringMatching(/^down/) } });
      const created = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"count":100}' });
      expect(created.status).toBe(202);
    } finally {
      await api.stop();
    }
  });
});
