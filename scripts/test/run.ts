/**
 * The test command: type-check, run jest (unit + integration against real servers it starts
 * itself), then print the plain summary line `N passed, N failed[, N skipped]` from jest's JSON.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const results = path.join(root, 'test-results');
fs.mkdirSync(results, { recursive: true });
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);

function summary(passed: number, failed: number, skipped: number): string {
  return `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}

const tsc = spawnSync(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], { cwd: root, stdio: 'inherit' });
const tscDashboard = tsc.status === 0 ? spawnSync(bin('tsc'), ['-p', 'dashboard/tsconfig.json', '--noEmit'], { cwd: root, stdio: 'inherit' }) : tsc;
if (tsc.status !== 0 || tscDashboard.status !== 0) {
  console.error('type check failed');
  console.log(summary(0, 1, 0));
  process.exit(1);
}

const jsonFile = path.join(results, 'jest.json');
fs.rmSync(jsonFile, { force: true });
const jest = spawnSync(bin('jest'), ['--json', `--outputFile=${jsonFile}`, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});

interface JestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numRuntimeErrorTestSuites: number;
  numTotalTests: number;
}

if (!fs.existsSync(jsonFile)) {
  console.error('jest wrote no results (did global setup fail?)');
  console.log(summary(0, 1, 0));
  process.exit(1);
}
const r = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as JestJson;
// A suite that fails to load has no test results of its own: count it as a failure.
const failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
console.log(summary(r.numPassedTests, failed, r.numPendingTests + r.numTodoTests));
if (jest.status !== 0 && failed === 0) {
  // Every test passed, yet jest failed: most often a test file left work running that touched
  // jest after the file had ended ("... after the Jest environment has been torn down" above).
  console.error(`jest exited with ${jest.status === null ? `signal ${jest.signal}` : `status ${jest.status}`} although no test failed: see its errors above`);
}
process.exit(jest.status === 0 && failed === 0 && r.numTotalTests > 0 ? 0 : 1);
