import { randomBytes, randomUUID } from 'node:crypto';
import type { JobView } from '@userforge/contracts';
import { loadConsumerConfig } from '../../services/consumer/src/config';
import { start as startConsumer, type RunningConsumer } from '../../services/consumer/src/main';
import { loadApiConfig } from '../../services/api/src/config';
import { start as startApi, type RunningApi } from '../../services/api/src/main';
import { MIN_CASES, runSchemathesis, type FuzzResult } from '@userforge/devstack';
import { testEnv, testMongoUrl, json, post, waitUntil } from '@userforge/testkit';

/**
 * schemathesis against the real API, with a real consumer behind it so that jobs and user events
 * it triggers are really processed: every check, every phase (stateful included), at least
 * MIN_CASES cases. A failure names its seed; `FUZZ_SEED=<seed> npm test -- test/fuzz` replays it.
 */
describe('API fuzzing with schemathesis (real API, consumer and servers)', () => {
  // The key is sent by the fuzzer, so its authentication checks see missing and wrong keys refused.
  const apiKey = randomBytes(24).toString('hex');
  let api: RunningApi;
  let consumer: RunningConsumer;
  let base: string;

  beforeAll(async () => {
    const { REDIS_URL, KAFKA_BROKERS } = testEnv();
    // FUZZ_LOG_LEVEL=error shows the server's side of a 500 the fuzzer reports.
    const common = { MONGO_URL: testMongoUrl('fuzz'), REDIS_URL, KAFKA_BROKERS, LOG_LEVEL: process.env.FUZZ_LOG_LEVEL ?? 'silent' };
    api = await startApi(
      loadApiConfig({
        ...common,
        PORT: '0',
        HOST: '127.0.0.1',
        API_KEY: apiKey,
        // Fuzzed jobs stay small: the servers are shared with the other test files.
        MAX_JOB_COUNT: '1000',
        // Thousands of requests in a few minutes from one client: the limiter would only answer 429.
        RATE_LIMIT_MUTATIONS_PER_MINUTE: '0',
        RATE_LIMIT_GENERATE_PER_MINUTE: '0',
      }),
    );
    consumer = await startConsumer(
      loadConsumerConfig({
        ...common,
        METRICS_PORT: '0',
        KAFKA_GROUP_ID: `fuzz-${randomUUID()}`,
        KAFKA_EVENTS_GROUP_ID: `fuzz-ev-${randomUUID()}`,
        KAFKA_SESSION_TIMEOUT_MS: '8000',
      }),
    );
    base = `http://127.0.0.1:${api.port}`;
    // Some users to list, page through, change and delete before the fuzzer creates its own.
    const { body: job } = await json<JobView>(await post(`${base}/v1/jobs`, { count: 500, seed: 5, chunkSize: 100 }, { 'x-api-key': apiKey }));
    const done = await waitUntil(
      async () => (await json<JobView>(await fetch(`${base}/v1/jobs/${job.id}`))).body,
      (j) => j.state !== 'running' && j.state !== 'publishing',
      90_000,
    );
    if (done.state !== 'succeeded') throw new Error(`seed job ended ${done.state}: ${done.error}`);
  }, 120_000);

  afterAll(async () => {
    await consumer?.stop();
    await api?.stop();
  });

  it(`finds no failure in at least ${MIN_CASES} generated cases, stateful phase included`, async () => {
    const result: FuzzResult = await runSchemathesis({ baseUrl: base, apiKey });
    const verdict = {
      exitCode: result.exitCode,
      failures: result.failureGroups.flatMap((g) => g.operations.map((op) => `${g.code} ${g.title}: ${op}`)),
      errors: result.errors,
      problems: result.problems,
      enoughCases: result.cases >= MIN_CASES,
      statefulRan: result.phases.stateful !== undefined && result.phases.stateful !== 'skip',
    };
    if (result.problems.length > 0) {
      console.log(
        `schemathesis seed: ${result.seed}; replay: FUZZ_SEED=${result.seed} npm test -- test/fuzz; ` +
          `reproducing curl commands in ${result.outputFile}`,
      );
    }
    expect(verdict).toEqual({ exitCode: 0, failures: [], errors: 0, problems: [], enoughCases: true, statefulRan: true });
  }, 15 * 60_000);
});
