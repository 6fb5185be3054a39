/** `npm run k8s:generate` (first half): writes k8s/crds/ from the UserGenerationJob contract. */
import { writeCrd } from '@userforge/devstack';

writeCrd();
