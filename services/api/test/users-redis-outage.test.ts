import { startIsolatedStack, isolatedSettings, serverDefs, down, up } from '@userforge/devstack';
import type { PaginatedData, UserView } from '@userforge/contracts';
import { loadApiConfig } from '../src/config';
import { start, type RunningApi } from '../src/main';
import { testEnv, testMongoUrl, json, post, waitUntil } from '@userforge/testkit';

const user = (i: number) => ({
  name: { first: 'Grace', last: 'Hopper' },
  email: `grace.${i}.${Date.now()}@example.org`,
  username: `grace${i}`,
  phone: '+1 555 0100',
  gender: 'female',
  birthDate: '1906-12-09',
  address: { street: '1 Navy Way', city: 'Arlington', country: 'Freedonia' },
});

describe('listing with Redis stopped and restarted (its own Redis)', () => {
  let stack: Awaited<ReturnType<typeof startIsolatedStack>>;
  let api: RunningApi;
  let base: string;
  const list = async () => json<PaginatedData<UserView>>(await fetch(`${base}/v1/users?country=Freedonia&limit=50`));

  beforeAll(async () => {
    stack = await startIsolatedStack(await isolatedSettings('outage'), ['redis']);
    const { KAFKA_BROKERS } = testEnv();
    api = await start(
      loadApiConfig({ MONGO_URL: testMongoUrl('api_outage'), REDIS_URL: stack.env.REDIS_URL!, KAFKA_BROKERS, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }),
    );
    base = `http://127.0.0.1:${api.port}`;
  }, 120_000);
  afterAll(async () => {
    await api?.stop();
    await stack?.stop();
  });

  it('serves from the database with X-Cache: BYPASS while Redis is down, and caches again after', async () => {
    for (const i of [1, 2]) expect((await post(`${base}/v1/users`, user(i))).status).toBe(201);
    expect((await list()).headers.get('x-cache')).toBe('MISS');
    expect((await list()).headers.get('x-cache')).toBe('HIT');

    const redisDefs = serverDefs(stack.settings, ['redis']);
    await down(stack.settings, redisDefs);
    const during = await list();
    expect(during.status).toBe(200);
    expect(during.headers.get('x-cache')).toBe('BYPASS');
    expect(during.body.total).toBe(2);
    // Writes go on too; the tally catches up from the database when Redis is back.
    expect((await post(`${base}/v1/users`, user(3))).status).toBe(201);
    const bypassed = await list();
    expect(bypassed.body.data).toHaveLength(3);

    await up(stack.settings, redisDefs);
    const back = await waitUntil(list, (r) => r.headers.get('x-cache') === 'HIT' && r.body.total === 3, 30_000, 300);
    expect(back.body.data.map((u) => u.email).sort()).toEqual(bypassed.body.data.map((u) => u.email).sort());
  });
});
