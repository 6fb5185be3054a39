/** The production build of the dashboard, and its size budget: all JavaScript ≤ 350 KB gzipped. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from '@userforge/devstack';

const BUDGET_BYTES = 350 * 1024;

it('builds to static files whose JavaScript stays within 350 KB gzipped', () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-dashboard-build-'));
  try {
    const build = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--outDir', outDir, '--emptyOutDir'], {
      cwd: path.join(REPO_ROOT, 'dashboard'),
      // jest sets NODE_ENV=test, which would bundle React's development build.
      env: { ...process.env, NODE_ENV: 'production' },
      encoding: 'utf8',
    });
    expect(build.status).toBe(0);
    expect(fs.existsSync(path.join(outDir, 'index.html'))).toBe(true);
    expect(fs.existsSync(path.join(outDir, 'config.js'))).toBe(true); // the API URL stays configuration
    const js = fs.readdirSync(path.join(outDir, 'assets')).filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    const gzipped = js.reduce((n, f) => n + gzipSync(fs.readFileSync(path.join(outDir, 'assets', f))).length, 0);
    console.log(`dashboard JavaScript: ${(gzipped / 1024).toFixed(1)} KB gzipped in ${js.length} file(s)`);
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}, 120_000);
