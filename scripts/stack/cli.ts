import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@userforge/platform';
import { appDefs, appScrapeTargets } from './apps';
import { ProvisionError, provisionFerretDb, provisionKafka, provisionPrometheus, provisionRedis } from './provision';
import { serverDefs } from './servers';
import { loadStackSettings, stackPaths, type StackSettings } from './settings';
import { StackError, down, reset, status, up, type ProcessStatus } from './stack';

const USAGE = `usage: stack <provision|up|status|down|reset> [--apps]

  provision  fetch and build what the servers need (cached; up does this too)
  up       provision (first run only) and start Kafka, the MongoDB-wire database, Redis and
           Prometheus; with --apps also the platform's apps, in the background
  status   health of each server (exit 1 if any is down)
  down     stop what this stack started; data is kept
  reset    stop everything and delete the stack's data and logs`;

const log = (m: string) => console.log(`[stack] ${m}`);

function printTable(rows: ProcessStatus[]): void {
  for (const r of rows) {
    const mark = r.state === 'healthy' ? 'ok  ' : 'DOWN';
    const pid = r.pid === undefined ? '-' : String(r.pid);
    console.log(`${mark}  ${r.name.padEnd(11)} port ${String(r.ports[0]).padEnd(6)} pid ${pid.padEnd(8)} ${r.state}: ${r.detail}`);
  }
}

function defs(s: StackSettings, withApps: boolean) {
  const servers = serverDefs(s, s.USERFORGE_STACK_SERVERS, appScrapeTargets(s));
  return withApps ? [...servers, ...appDefs(s)] : servers;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...flags] = argv;
  const withApps = flags.includes('--apps');
  const s = loadStackSettings();
  const paths = stackPaths(s);
  switch (command) {
    case 'provision':
      provisionFerretDb(s, log);
      provisionKafka(s, log);
      provisionRedis();
      provisionPrometheus();
      log(`artefacts ready in ${s.USERFORGE_CACHE_DIR}`);
      return 0;
    case 'up': {
      await up(s, defs(s, withApps), log);
      log(`all up. logs: ${paths.logs}`);
      return 0;
    }
    case 'status': {
      const servers = await status(s, serverDefs(s, s.USERFORGE_STACK_SERVERS));
      // Apps count only once they have been started by `up --apps` (a pid file exists).
      const apps = (await status(s, appDefs(s))).filter(
        (a) => a.state !== 'stopped' || fs.existsSync(path.join(paths.run, `${a.name}.pid`)),
      );
      const rows = [...servers, ...apps];
      printTable(rows);
      console.log(`logs: ${paths.logs}`);
      return rows.every((r) => r.state === 'healthy') ? 0 : 1;
    }
    case 'down':
      await down(s, defs(s, true), log);
      log('stopped; data kept (npm run stack:reset deletes it)');
      return 0;
    case 'reset':
      await reset(s, defs(s, true), log);
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof StackError || err instanceof ProvisionError || err instanceof ConfigError) {
      console.error(`[stack] error: ${err.message}`);
    } else {
      console.error(err);
    }
    process.exit(1);
  },
);
