/** `npm run chart:docs`: writes charts/userforge/README.md with helm-docs. */
import { writeChartReadme } from '@userforge/devstack';

writeChartReadme();
