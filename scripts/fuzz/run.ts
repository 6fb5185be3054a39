/** `tsx scripts/fuzz/run.ts <api-base-url>`: schemathesis against a running API (env: FUZZ_SEED, FUZZ_MAX_EXAMPLES, FUZZ_WORKERS, FUZZ_API_KEY). */
import { fuzzCli } from '@userforge/devstack';

fuzzCli();
