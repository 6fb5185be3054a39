import { isolatedSettings, startIsolatedStack } from '../scripts/stack/isolated';

/** Starts MongoDB-wire, Redis and Kafka for the integration tests and hands their URLs to workers via env. */
export default async function globalSetup(): Promise<void> {
  const settings = await isolatedSettings('test');
  const stack = await startIsolatedStack(settings, ['mongo', 'redis', 'kafka']);
  Object.assign(process.env, stack.env, { USERFORGE_TEST_STACK_DIR: settings.USERFORGE_STACK_DIR });
  (globalThis as { __userforgeStack?: typeof stack }).__userforgeStack = stack;
}
