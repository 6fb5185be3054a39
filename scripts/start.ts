/** `npm start <app>`: runs one app in the foreground, like the original `yarn start <app>`. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { APPS, isAppName, tsxCommand } from './stack/apps';
import { REPO_ROOT } from './stack/settings';

const PLANNED = ['scheduler', 'dashboard', 'operator'];
const name = process.argv[2];

if (!name || !isAppName(name)) {
  const known = Object.keys(APPS).join(', ');
  const later = PLANNED.filter((p) => !Object.hasOwn(APPS, p));
  console.error(
    name && later.includes(name)
      ? `'${name}' is not part of userforge yet. Apps available now: ${known}.`
      : `usage: npm start <app>   apps: ${known}`,
  );
  process.exit(2);
}
const entry = APPS[name].entry;
if (!fs.existsSync(path.join(REPO_ROOT, entry))) {
  console.error(`${entry} is missing`);
  process.exit(2);
}
const { cmd, args } = tsxCommand(entry);
const child = spawn(cmd, args, { stdio: 'inherit', cwd: REPO_ROOT });
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
