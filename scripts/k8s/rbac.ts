/** `npm run k8s:generate` (second half): writes k8s/rbac/operator.yaml and the chart's rules from operator/src/k8s/rbac.ts. */
import { writeRbac } from '@userforge/devstack';

writeRbac();
