/**
 * The helpers the tests share, imported by name (`@userforge/testkit`) from any package's tests.
 * This entry loads no app: the fixtures that start or stand in for one have entries of their own,
 * `@userforge/testkit/api-with-consumer` (the API and a consumer in-process) and
 * `@userforge/testkit/purge-world` (in-memory repositories for a purge).
 */
export { testEnv, testMongoUrl, testKube, testKubeconfig, FIRST_EVENTS_WAIT_MS } from './env';
export { json, post, waitUntil } from './http';
export { recount } from './recount';
export { TcpGate, hostPort } from './tcp-gate';
export { spawnApp, probe, repoRoot, type AppProcess } from './app-process';
