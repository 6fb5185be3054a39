/**
 * Runs schemathesis against an API that is already running: every check, every phase (stateful
 * included), a fixed seed so a failure can be replayed, reports in test-results/fuzz/. It starts
 * nothing itself; test/fuzz/schemathesis.test.ts starts a real API and consumer for it.
 *
 *   tsx scripts/fuzz/run.ts http://127.0.0.1:9000        # e.g. against `npm run stack:up -- --apps`
 *   FUZZ_SEED=1234 FUZZ_API_KEY=... tsx scripts/fuzz/run.ts http://127.0.0.1:9000
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../stack/settings';
import { provisionSchemathesis } from './provision';


/** The seed of every run unless FUZZ_SEED says otherwise, so every run generates the same inputs. */
export const DEFAULT_SEED = 20_251_121;
/**
 * Test cases per operation and phase. With the API's 25 operations, 60 gives about 2,500 cases over
 * the coverage, fuzzing and stateful phases; MIN_CASES is what a run must reach to count.
 */
export const DEFAULT_MAX_EXAMPLES = 60;
export const MIN_CASES = 1000;
export const PHASES = ['examples', 'coverage', 'fuzzing', 'stateful'] as const;

export interface FuzzOptions {
  /** Where the API listens, e.g. http://127.0.0.1:9000; its document is `${baseUrl}/openapi.json`. */
  baseUrl: string;
  seed?: number;
  maxExamples?: number;
  workers?: number;
  /** Sent as `x-api-key` on every request, for an API started with API_KEY. */
  apiKey?: string;
  /** Reports and the full console output go here (default test-results/fuzz). */
  reportDir?: string;
  minCases?: number;
  /** Each line schemathesis prints, as it prints it. */
  onLine?: (line: string) => void;
}

export interface FuzzFailureGroup {
  code: string;
  title: string;
  count: number;
  operations: string[];
}

export interface FuzzResult {
  seed: number;
  /** The command line, with the API key masked. */
  command: string;
  exitCode: number | null;
  cases: number;
  casesWithFailures: number;
  /** Distinct failures (one failing check on one operation or stateful scenario). */
  failures: number;
  errors: number;
  failureGroups: FuzzFailureGroup[];
  /** Outcome of each phase: success, failure, errored or skip (examples is skipped when the document has none). */
  phases: Record<string, string>;
  runningSeconds: number;
  reportDir: string;
  outputFile: string;
  /** Why this run does not count as a pass; empty when it does. */
  problems: string[];
}

/** The parts of schemathesis 4's `--report json` run report this script reads. */
interface RunReport {
  seed: number;
  running_time: number;
  exit_code: number;
  test_cases: { generated: number; with_failures: number; unique_failures: number; errored: number };
  failures: { code: string; title: string; count: number; operations: unknown[] }[];
  errors: unknown[];
  phases: Record<string, { status: string }>;
}

function intFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The fuzzer may only reach the API under test, never another machine. */
function checkLocal(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (!LOOPBACK.has(url.hostname)) throw new Error(`refusing to fuzz ${url.host}: only a local API (127.0.0.1, localhost, [::1]) may be fuzzed`);
  return url.toString().replace(/\/$/, '');
}

/** Operation labels of one failure group, whatever shape schemathesis gives them. */
function operationLabels(operations: unknown[]): string[] {
  return operations.map((o) => {
    if (typeof o === 'string') return o;
    const rec = o as Record<string, unknown>;
    return String(rec.label ?? rec.operation ?? JSON.stringify(o));
  });
}

export async function runSchemathesis(opts: FuzzOptions): Promise<FuzzResult> {
  const base = checkLocal(opts.baseUrl);
  const seed = opts.seed ?? intFromEnv('FUZZ_SEED') ?? DEFAULT_SEED;
  const maxExamples = opts.maxExamples ?? intFromEnv('FUZZ_MAX_EXAMPLES') ?? DEFAULT_MAX_EXAMPLES;
  const workers = opts.workers ?? intFromEnv('FUZZ_WORKERS') ?? 1;
  const minCases = opts.minCases ?? MIN_CASES;
  const apiKey = opts.apiKey ?? (process.env.FUZZ_API_KEY || undefined);
  const reportDir = path.resolve(opts.reportDir ?? path.join(REPO_ROOT, 'test-results', 'fuzz'));
  fs.mkdirSync(reportDir, { recursive: true });
  const files = {
    json: path.join(reportDir, 'schemathesis.json'),
    junit: path.join(reportDir, 'schemathesis-junit.xml'),
    ndjson: path.join(reportDir, 'schemathesis.ndjson'),
    output: path.join(reportDir, 'schemathesis.log'),
  };
  for (const f of Object.values(files)) fs.rmSync(f, { force: true });

  const bin = provisionSchemathesis((m) => console.log(`[fuzz] ${m}`));
  // One check off in one phase: the stateful phase's links inferred from response fields carry a
  // user's `jobId`, null for a user created through the API, into job paths as the string "None"
  // (`DELETE /v1/jobs/None/users`), and then count the API's right answer, 400 for an id that breaks
  // the path's declared pattern, as a schema-valid request rejected. The coverage and fuzzing phases
  // keep that check on every operation, and the stateful phase keeps every other check.
  const config = path.join(reportDir, 'schemathesis.toml');
  fs.writeFileSync(config, '[phases.stateful.checks.positive_data_acceptance]\nenabled = false\n');
  const args = [
    '--config-file', config,
    'run', `${base}/openapi.json`,
    '--url', base,
    '--checks', 'all',
    '--phases', PHASES.join(','),
    '--max-examples', String(maxExamples),
    '--seed', String(seed),
    '--workers', String(workers),
    '--request-timeout', '30',
    '--max-redirects', '0',
    // Hypothesis' example database would replay cases from earlier runs: only the seed decides.
    '--generation-database', 'none',
    // A failing operation keeps being tested, so every run generates its full number of cases.
    '--continue-on-failure',
    '--report', 'junit,json,ndjson',
    '--report-junit-path', files.junit,
    '--report-json-path', files.json,
    '--report-ndjson-path', files.ndjson,
    '--no-color',
    ...(apiKey ? ['--header', `x-api-key:${apiKey}`] : []),
  ];
  const command = [bin, ...args].map((a) => (apiKey && a.includes(apiKey) ? a.replace(apiKey, '***') : a)).join(' ');
  console.log(`[fuzz] schemathesis seed: ${seed} (replay with FUZZ_SEED=${seed})`);
  console.log(`[fuzz] ${command}`);

  // No proxy: the only host the fuzzer talks to is the local API. The working directory is the
  // report directory, so no stray schemathesis.toml changes the run.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_PROXY: '*', no_proxy: '*', PYTHONUNBUFFERED: '1', NO_COLOR: '1' };
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy']) delete env[name];
  const out = fs.createWriteStream(files.output);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(bin, args, { cwd: reportDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    const onData = (chunk: Buffer) => {
      out.write(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) opts.onLine?.(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending) opts.onLine?.(pending);
      resolve(code);
    });
  });
  await new Promise<void>((resolve) => out.end(resolve));

  const problems: string[] = [];
  let report: RunReport | undefined;
  try {
    report = JSON.parse(fs.readFileSync(files.json, 'utf8')) as RunReport;
  } catch (err) {
    problems.push(`no run report in ${files.json}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const cases = report?.test_cases.generated ?? 0;
  const failures = report?.test_cases.unique_failures ?? 0;
  const errors = (report?.errors.length ?? 0) + (report?.test_cases.errored ?? 0);
  if (exitCode !== 0) problems.push(`schemathesis exited with ${exitCode}`);
  if (failures > 0) problems.push(`${failures} failures`);
  if (errors > 0) problems.push(`${errors} errors`);
  if (cases < minCases) problems.push(`only ${cases} test cases generated, at least ${minCases} required`);
  const phases = Object.fromEntries(Object.entries(report?.phases ?? {}).map(([name, p]) => [name, p.status]));
  // Examples run only when the document has some; every other phase must really have run.
  for (const phase of PHASES.filter((p) => p !== 'examples')) {
    if (report && (phases[phase] ?? 'skip') === 'skip') problems.push(`the ${phase} phase did not run`);
  }

  const result: FuzzResult = {
    seed,
    command,
    exitCode,
    cases,
    casesWithFailures: report?.test_cases.with_failures ?? 0,
    failures,
    errors,
    phases,
    failureGroups: (report?.failures ?? []).map((f) => ({ code: f.code, title: f.title, count: f.count, operations: operationLabels(f.operations) })),
    runningSeconds: report?.running_time ?? 0,
    reportDir,
    outputFile: files.output,
    problems,
  };
  console.log(`[fuzz] schemathesis cases: ${cases} generated, ${failures} failures, ${errors} errors in ${Math.round(result.runningSeconds)} s (seed ${seed})`);
  console.log(`[fuzz] phases: ${Object.entries(phases).map(([name, status]) => `${name} ${status}`).join(', ')}`);
  for (const g of result.failureGroups) console.log(`[fuzz]   ${g.code} ${g.title}: ${g.count} (${g.operations.join(', ')})`);
  console.log(`[fuzz] reports and full output: ${path.relative(REPO_ROOT, reportDir) || '.'}`);
  return result;
}

export function fuzzCli(): void {
  const [baseUrl] = process.argv.slice(2);
  if (!baseUrl) {
    console.error('usage: tsx scripts/fuzz/run.ts <api-base-url>   (env: FUZZ_SEED, FUZZ_MAX_EXAMPLES, FUZZ_WORKERS, FUZZ_API_KEY)');
    process.exit(2);
  }
  runSchemathesis({ baseUrl, onLine: (line) => console.log(line) }).then(
    (r) => {
      if (r.problems.length > 0) console.error(`[fuzz] FAILED: ${r.problems.join('; ')}`);
      process.exit(r.problems.length > 0 ? 1 : 0);
    },
    (err: unknown) => {
      console.error(`[fuzz] error: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
