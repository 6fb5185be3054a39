import { ConfigError } from '@userforge/platform';
import { ProvisionError } from '../prerequisites';
import { StackError, formatStatusTable, type ProcessStatus } from '../stack/supervisor';

/**
 * Runs a command-line entry point and exits with its code: the errors users cause (a taken port,
 * a missing tool, a bad setting) print one line tagged `[tag] error:`, anything else its stack trace.
 */
export function runCli(tag: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof StackError || err instanceof ProvisionError || err instanceof ConfigError) {
        console.error(`[${tag}] error: ${err.message}`);
      } else {
        console.error(err);
      }
      process.exit(1);
    },
  );
}

/** Prints the status table of `stack:status` (nothing for no processes). */
export function printStatusTable(rows: ProcessStatus[]): void {
  if (rows.length > 0) console.log(formatStatusTable(rows));
}
