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

/** The admin kubeconfig of the isolated Kubernetes control plane, the kubectl built with it, and their release. */
export function testKube(): { kubeconfig: string; kubectl: string; version: string } {
  const { USERFORGE_TEST_KUBECONFIG: kubeconfig, USERFORGE_TEST_KUBECTL: kubectl, USERFORGE_TEST_KUBE_VERSION: version } = process.env;
  if (!kubeconfig || !kubectl || !version) {
    throw new Error('Kubernetes tests need the control plane from test/global-setup.ts: run them with `npm test`');
  }
  return { kubeconfig, kubectl, version };
}

/** Path of the isolated control plane's admin kubeconfig (`kubectl --kubeconfig <this>`). */
export const testKubeconfig = (): string => testKube().kubeconfig;

/**
 * How long a test waits for its first user events to be stored when its consumer has an events group
 * of its own. A new group reads the shared user-events topics from the beginning, so every earlier
 * test file's events come first (a purge publishes one per user): the first wait covers that backlog
 * as well as the test's own events. Later waits in the same test need no more than usual.
 */
export const FIRST_EVENTS_WAIT_MS = 150_000;
