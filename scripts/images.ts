/** `npm run images:build`, and the image builds of scripts/bootstrap.sh (see `tsx scripts/images.ts help`). */
import { imagesCli, runCli } from '@userforge/devstack';

runCli('images', () => imagesCli(process.argv[2]));
