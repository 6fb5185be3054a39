import { freePort } from '@userforge/devstack';
import { loadApiConfig } from '../src/config';
import { start } from '../src/main';
import { probe as get, spawnApp, type AppProcess, testEnv, testMongoUrl, waitUntil, TcpGate, hostPort } from '@userforge/testkit';

/** The API as its own process, its MongoDB and Kafka addresses ports that the test opens when it chooses. */
describe('api process waiting for its servers at start (real MongoDB-wire database and Kafka behind test-controlled ports)', () => {
  const gates: TcpGate[] = [];
  let app: AppProcess | undefined;
  afterEach(async () => {
    await app?.kill();
    await Promise.all(gates.splice(0).map((g) => g.close()));
  });

  it('stays alive and not ready, saying what it waits for, then serves once MongoDB and Kafka answer', async () => {
    const { REDIS_URL, KAFKA_BROKERS } = testEnv();
    const mongo = new URL(testMongoUrl('api_startup_wait'));
    const [mongoPort, kafkaPort, port] = [await freePort(), await freePort(), await freePort()];
    // MongoDB's port accepts and answers nothing (a server still booting); Kafka's refuses.
    const mongoGate = await TcpGate.open(mongoPort, hostPort(mongo.toString()), 'stall');
    gates.push(mongoGate);
    const gatedMongo = new URL(mongo);
    gatedMongo.host = `127.0.0.1:${mongoPort}`;
    app = spawnApp('services/api/src/main.ts', {
      MONGO_URL: gatedMongo.toString(),
      REDIS_URL,
      KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    const base = `http://127.0.0.1:${port}`;

    const live = await waitUntil(() => get(`${base}/healthz`), (r) => r.status === 200 || !app!.alive(), 120_000, 300);
    expect(live).toEqual({ status: 200, body: { status: 'ok' } });
    const waitingForMongo = await waitUntil(
      () => get(`${base}/readyz`),
      (r) => /attempt \d+ failed/.test(r.body?.checks?.mongo ?? '') || !app!.alive(),
      120_000,
      500,
    );
    expect(waitingForMongo.status).toBe(503);
    expect(waitingForMongo.body).toEqual({
      status: 'unavailable',
      checks: { mongo: expect.stringMatching(/^down: waiting: attempt \d+ failed: /), kafka: 'down: waiting: not tried yet' },
    });
    expect((await get(`${base}/v1/users`)).status).toBe(503);
    expect(app.logs()).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'waiting for mongo', server: 'mongo', attempt: 1, nextDelayMs: expect.any(Number), error: expect.any(String) }),
    );

    mongoGate.set('forward');
    const waitingForKafka = await waitUntil(
      () => get(`${base}/readyz`),
      (r) => r.body?.checks?.mongo === 'ok' || !app!.alive(),
      120_000,
      500,
    );
    expect(waitingForKafka.body).toEqual({ status: 'unavailable', checks: { mongo: 'ok', kafka: expect.stringMatching(/^down: waiting/) } });
    await waitUntil(
      async () => app!.logs().some((l) => l.msg === 'waiting for kafka' && l.server === 'kafka'),
      (seen) => seen || !app!.alive(),
      120_000,
      500,
    );
    expect(app.alive()).toBe(true);

    gates.push(await TcpGate.open(kafkaPort, hostPort(KAFKA_BROKERS.split(',')[0]!), 'forward'));
    const ready = await waitUntil(() => get(`${base}/readyz`), (r) => r.status === 200 || !app!.alive(), 180_000, 500);
    expect(ready).toEqual({ status: 200, body: { status: 'ok', checks: { mongo: 'ok', redis: 'ok' } } });
    const users = await get(`${base}/v1/users`);
    expect(users.status).toBe(200);
    expect(users.body).toMatchObject({ data: expect.any(Array) });
    expect(app.logs()).toContainEqual(expect.objectContaining({ msg: 'reached mongo', server: 'mongo' }));

    expect(await app.kill('SIGTERM')).toBe(0);
  });

  it('exits 0 on SIGTERM while it still waits for MongoDB', async () => {
    const { REDIS_URL, KAFKA_BROKERS } = testEnv();
    const port = await freePort();
    app = spawnApp('services/api/src/main.ts', {
      MONGO_URL: `mongodb://127.0.0.1:${await freePort()}/nothing_here`,
      REDIS_URL,
      KAFKA_BROKERS,
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    await waitUntil(
      async () => app!.logs().some((l) => l.msg === 'waiting for mongo'),
      (seen) => seen || !app!.alive(),
      120_000,
      300,
    );
    expect((await get(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);

    expect(await app.kill('SIGTERM')).toBe(0);
    expect(app.logs()).toContainEqual(expect.objectContaining({ msg: 'stopped' }));
    expect(app.logs()).not.toContainEqual(expect.objectContaining({ level: 'fatal' }));
  });
});

describe('api started while Redis refuses (in-process)', () => {
  it('serves without Redis, keeps trying it in the background, and uses it once it answers', async () => {
    const { REDIS_URL, KAFKA_BROKERS } = testEnv();
    const redisPort = await freePort();
    const api = await start(
      loadApiConfig({ MONGO_URL: testMongoUrl('api_startup_redis'), REDIS_URL: `redis://127.0.0.1:${redisPort}`, KAFKA_BROKERS, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }),
    );
    let gate: TcpGate | undefined;
    try {
      const base = `http://127.0.0.1:${api.port}`;
      expect(await get(`${base}/readyz`)).toEqual({ status: 503, body: { status: 'unavailable', checks: { mongo: 'ok', redis: expect.stringMatching(/^down/) } } });
      expect((await get(`${base}/v1/users`)).status).toBe(200);

      gate = await TcpGate.open(redisPort, hostPort(REDIS_URL), 'forward');
      const ready = await waitUntil(() => get(`${base}/readyz`), (r) => r.status === 200, 120_000, 500);
      expect(ready.body).toEqual({ status: 'ok', checks: { mongo: 'ok', redis: 'ok' } });
    } finally {
      await api.stop();
      await gate?.close();
    }
  });
});

describe('api config errors', () => {
  it('exits 1 at once on a MongoDB URL that does not parse, naming the variable', async () => {
    const { REDIS_URL, KAFKA_BROKERS } = testEnv();
    const app = spawnApp('services/api/src/main.ts', { MONGO_URL: 'mongo-db:/nowhere', REDIS_URL, KAFKA_BROKERS, PORT: String(await freePort()) });
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/MONGO_URL: must be a mongodb:\/\//);
  });
});
