/** Connection settings of the isolated servers started by test/global-setup.ts. */
export function testEnv() {
  const { MONGO_URL, REDIS_URL, KAFKA_BROKERS } = process.env;
  if (!MONGO_URL || !REDIS_URL || !KAFKA_BROKERS) {
    throw new Error('integration tests need the servers from test/global-setup.ts: run them with `npm test`');
  }
  return { MONGO_URL, REDIS_URL, KAFKA_BROKERS, brokers: KAFKA_BROKERS.split(',') };
}

/** A database name per test file, so files running in parallel never see each other's data. */
export function testMongoUrl(name: string): string {
  const url = new URL(testEnv().MONGO_URL);
  url.pathname = `/${name.replace(/[^a-z0-9_]/gi, '_')}_${process.pid}`;
  return url.toString();
}
