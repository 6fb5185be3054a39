import { isolatedSettings, startIsolatedStack } from '@userforge/devstack';

/**
 * Starts MongoDB-wire, Redis, Kafka and a Kubernetes control plane (etcd, kube-apiserver,
 * kube-controller-manager) for the integration tests and hands their addresses to workers via env.
 */
export default async function globalSetup(): Promise<void> {
  const settings = await isolatedSettings('test');
  const stack = await startIsolatedStack(settings, ['mongo', 'redis', 'kafka', 'kube']);
  Object.assign(process.env, stack.env, { USERFORGE_TEST_STACK_DIR: settings.USERFORGE_STACK_DIR });
  if (stack.kube) {
    Object.assign(process.env, {
      USERFORGE_TEST_KUBECONFIG: stack.kube.kubeconfig,
      USERFORGE_TEST_KUBECTL: stack.kube.kubectl,
      USERFORGE_TEST_KUBE_VERSION: stack.kube.version,
    });
  }
  (globalThis as { __userforgeStack?: typeof stack }).__userforgeStack = stack;
}
