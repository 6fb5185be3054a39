import { createHash } from 'node:crypto';
import { UGJ_GROUP, UGJ_PLURAL, UGJ_VERSION, type UserGenerationJob } from '@userforge/contracts';

export type { Condition, UserGenerationJob, UserGenerationJobSpec, UserGenerationJobStatus } from '@userforge/contracts';

export const API_VERSION = `${UGJ_GROUP}/${UGJ_VERSION}`;
export const RESOURCE = { group: UGJ_GROUP, version: UGJ_VERSION, plural: UGJ_PLURAL } as const;
/**
 * Held while the platform job may still be running, so deleting the resource cancels it first; with
 * `reclaimPolicy: Delete`, held as long as the job's users are stored, so deleting it purges them.
 * (The name predates the purge; it stays, as resources hold it.)
 */
export const FINALIZER = 'userforge.io/cancel-job';

/** `namespace/name`, the work queue's key. */
export const keyOf = (o: Pick<UserGenerationJob, 'metadata'>) => `${o.metadata.namespace}/${o.metadata.name}`;

/**
 * The platform job's id, derived from the resource's uid: a restarted operator that crashed between
 * creating the job and recording it in status finds the same job instead of creating a second one.
 */
export function jobIdFor(uid: string): string {
  return createHash('sha256').update(`userforge.io/UserGenerationJob/${uid}`).digest('hex').slice(0, 24);
}
