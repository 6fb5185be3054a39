/** `npm start <app>`: runs one app in the foreground, like the original `yarn start <app>`. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { APPS, dashboardCommand, isAppName, tsxCommand, REPO_ROOT, loadStackSettings } from '@userforge/devstack';

const name = process.argv[2];

function forward(child: ChildProcess): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (name === 'dashboard') {
  // The dashboard's development server on :4200; VITE_API_URL (default: the stack's API) is where it calls.
  const command = dashboardCommand(loadStackSettings());
  forward(spawn(command.cmd, command.args, { stdio: 'inherit', cwd: command.cwd, env: { ...process.env, ...command.env, ...(process.env.VITE_API_URL ? { VITE_API_URL: process.env.VITE_API_URL } : {}) } }));
} else if (!name || !isAppName(name)) {
  const known = [...Object.keys(APPS), 'dashboard'].join(', ');
  console.error(`usage: npm start <app>   apps: ${known}`);
  process.exit(2);
} else {
  const entry = APPS[name].entry;
  if (!fs.existsSync(path.join(REPO_ROOT, entry))) {
    console.error(`${entry} is missing`);
    process.exit(2);
  }
  const { cmd, args } = tsxCommand(entry);
  forward(spawn(cmd, args, { stdio: 'inherit', cwd: REPO_ROOT }));
}
