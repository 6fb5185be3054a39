/** `npm run stack:*` (see `tsx scripts/stack.ts` for its usage). */
import { runCli, stackCli } from '@userforge/devstack';

runCli('stack', () => stackCli(process.argv.slice(2)));
