/** `npm run build`: the Dockerfile's bundle command, each app into dist/<app>.js. */
import { bundleCli } from '@userforge/devstack';

bundleCli();
