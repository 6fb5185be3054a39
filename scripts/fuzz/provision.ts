/** `tsx scripts/fuzz/provision.ts`: provisions schemathesis alone (scripts/bootstrap.sh runs it). */
import { provisionSchemathesisCli } from '@userforge/devstack';

provisionSchemathesisCli();
