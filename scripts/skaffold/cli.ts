/** `npm run skaffold -- <dev|run|delete|...> [skaffold flags]`: skaffold against the cluster of `npm run kind:up`. */
import { skaffoldCli } from '@userforge/devstack';

skaffoldCli();
