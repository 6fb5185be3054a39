/** `npm run kind:*` (see `tsx scripts/kind.ts` for its usage). */
import { kindCli, runCli } from '@userforge/devstack';

runCli('kind', () => kindCli(process.argv[2]));
