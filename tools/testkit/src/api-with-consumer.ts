import { randomUUID } from 'node:crypto';
import type { CreateJobRequest, JobView } from '@userforge/contracts';
import { loadApiConfig, start as startApi, type RunningApi } from '@userforge/api';
import { loadConsumerConfig, start as startConsumer, type RunningConsumer } from '@userforge/consumer';
import { testEnv, testMongoUrl } from './env';
import { json, post, waitUntil } from './http';

export interface ApiWithConsumer {
  api: RunningApi;
  consumer: RunningConsumer;
  base: string;
  /** The test file's own database on the shared servers. */
  dbUrl: string;
  /** What any other process of the platform needs to share these servers and this database. */
  env: { MONGO_URL: string; REDIS_URL: string; KAFKA_BROKERS: string };
  stop(): Promise<void>;
}

/** The API in-process on port 0 and a consumer behind it (groups of its own), on a database of its own. */
export async function startApiWithConsumer(name: string, apiEnv: Record<string, string> = {}): Promise<ApiWithConsumer> {
  const { REDIS_URL, KAFKA_BROKERS } = testEnv();
  const dbUrl = testMongoUrl(name);
  const env = { MONGO_URL: dbUrl, REDIS_URL, KAFKA_BROKERS };
  const api = await startApi(loadApiConfig({ ...env, LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', ...apiEnv }));
  const consumer = await startConsumer(
    loadConsumerConfig({ ...env, LOG_LEVEL: 'silent', METRICS_PORT: '0', KAFKA_GROUP_ID: `${name}-${randomUUID()}`, KAFKA_EVENTS_GROUP_ID: `${name}-ev-${randomUUID()}`, KAFKA_SESSION_TIMEOUT_MS: '8000' }),
  );
  return {
    api,
    consumer,
    base: `http://127.0.0.1:${api.port}`,
    dbUrl,
    env,
    stop: async () => {
      await consumer.stop();
      await api.stop();
    },
  };
}

/** Starts a job through the API and waits for it to end; throws unless it succeeded. */
export async function runJob(base: string, request: CreateJobRequest, headers: Record<string, string> = {}, timeoutMs = 90_000): Promise<JobView> {
  const { status, body } = await json<JobView>(await post(`${base}/v1/jobs`, request, headers));
  if (status !== 202) throw new Error(`starting a job answered ${status}: ${JSON.stringify(body)}`);
  const done = await waitUntil(async () => (await json<JobView>(await fetch(`${base}/v1/jobs/${body.id}`))).body, (j) => j.state !== 'running' && j.state !== 'publishing', timeoutMs);
  if (done.state !== 'succeeded') throw new Error(`job ${done.id} ended ${done.state}: ${done.error}`);
  return done;
}
