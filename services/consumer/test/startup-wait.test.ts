import { randomUUID } from 'node:crypto';
import { freePort } from '@userforge/devstack';
import { probe as get, spawnApp, type AppProcess, testEnv, testMongoUrl, waitUntil, TcpGate, hostPort } from '@userforge/testkit';

/** The consumer as its own process, with Kafka's address a port that refuses until the test opens it. */
describe('consumer process waiting for Kafka at start (real Kafka behind a test-controlled port)', () => {
  let app: AppProcess | undefined;
  let gate: TcpGate | undefined;
  afterAll(async () => {
    await app?.kill();
    await gate?.close();
  });

  it('is alive and not ready while Kafka refuses, logs the wait, joins its group once Kafka answers, and exits 0 on SIGTERM', async () => {
    const { REDIS_URL, KAFKA_BROKERS } = testEnv();
    const [kafkaPort, metricsPort] = [await freePort(), await freePort()];
    app = spawnApp('services/consumer/src/main.ts', {
      MONGO_URL: testMongoUrl('consumer_startup_wait'),
      REDIS_URL,
      KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
      METRICS_PORT: String(metricsPort),
      KAFKA_GROUP_ID: `wait-${randomUUID()}`,
      KAFKA_EVENTS_GROUP_ID: `wait-ev-${randomUUID()}`,
      KAFKA_SESSION_TIMEOUT_MS: '8000',
    });
    const base = `http://127.0.0.1:${metricsPort}`;

    const waiting = await waitUntil(
      () => get(`${base}/readyz`),
      (r) => /attempt \d+ failed/.test(r.body?.checks?.kafka ?? '') || !app!.alive(),
      120_000,
      500,
    );
    expect(waiting).toEqual({
      status: 503,
      body: { status: 'unavailable', checks: { mongo: 'ok', kafka: expect.stringMatching(/^down: waiting: attempt \d+ failed: /) } },
    });
    expect((await get(`${base}/healthz`)).status).toBe(200);
    expect(app.logs()).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'waiting for kafka', server: 'kafka', attempt: 1, nextDelayMs: expect.any(Number), error: expect.any(String) }),
    );

    gate = await TcpGate.open(kafkaPort, hostPort(KAFKA_BROKERS.split(',')[0]!), 'forward');
    const ready = await waitUntil(() => get(`${base}/readyz`), (r) => r.status === 200 || !app!.alive(), 180_000, 500);
    expect(ready).toEqual({ status: 200, body: { status: 'ok' } });
    expect(app.logs()).toContainEqual(expect.objectContaining({ msg: 'consumer running' }));

    expect(await app.kill('SIGTERM')).toBe(0);
  });
});
