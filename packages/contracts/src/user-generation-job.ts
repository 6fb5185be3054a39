import { z } from 'zod';
import { jobParametersShape } from './jobs';
import { DEFAULT_CHUNK_SIZE, MAX_JOB_COUNT } from './limits';
import { DEFAULT_LOCALE } from './locales';

/**
 * The `UserGenerationJob` custom resource (userforge.io/v1alpha1): its spec and status, written once
 * here. The CRD's openAPIV3Schema (k8s/crds/) is generated from these schemas, and the operator reads
 * and writes through their types. The job's parameters are those of `POST /v1/jobs` (jobParametersShape).
 */
export const UGJ_GROUP = 'userforge.io';
export const UGJ_VERSION = 'v1alpha1';
export const UGJ_KIND = 'UserGenerationJob';
export const UGJ_PLURAL = 'usergenerationjobs';

/** The most consumer pods a job may ask for: the chunk topic's default partition count caps useful ones. */
export const MAX_PARALLELISM = 1000;

const job = jobParametersShape(MAX_JOB_COUNT);

/** What deleting a resource does to the users it generated: kept (the default), or purged before the resource goes. */
export const RECLAIM_POLICIES = ['Retain', 'Delete'] as const;
export type ReclaimPolicy = (typeof RECLAIM_POLICIES)[number];

export const userGenerationJobSpecSchema = z
  .object({
    count: job.count.describe('Users to generate (immutable; an operator refuses more than its MAX_JOB_COUNT).'),
    seed: job.seed.describe('Seed of the generator; the same seed gives the same users (immutable).'),
    chunkSize: job.chunkSize.default(DEFAULT_CHUNK_SIZE).describe('Users per Kafka message (immutable).'),
    locale: job.locale.default(DEFAULT_LOCALE).describe('Faker locale of the generated users (immutable).'),
    parallelism: z
      .number()
      .int()
      .min(1)
      .max(MAX_PARALLELISM)
      .default(1)
      .describe('Consumer pods wanted while the job runs (at most the chunk topic partitions; default 1).'),
    suspend: z.boolean().optional().describe('true pauses publishing the job\'s chunks (those already published are still stored) and releases its consumers; false resumes it.'),
    ttlSecondsAfterFinished: z.number().int().min(0).max(31_536_000).optional().describe('Delete this resource that long after the job finished.'),
    reclaimPolicy: z
      .enum(RECLAIM_POLICIES)
      .default('Retain')
      .describe("What deleting this resource (by hand or by TTL) does to its users (immutable): Retain keeps them; Delete cancels a job still at work, purges its users, then lets the resource go."),
  })
  .strict();
/** The spec as written (defaults are the API server's to fill in, from the CRD's schema). */
export type UserGenerationJobSpec = z.input<typeof userGenerationJobSpecSchema>;

/** The condition types this operator writes. The schema accepts any (metav1.Condition's rules): a newer operator's type never breaks an older CRD. */
export const UGJ_CONDITION_TYPES = ['Accepted', 'Running', 'Suspended', 'Succeeded', 'Failed', 'Cancelled'] as const;

export const conditionSchema = z
  .object({
    type: z
      .string()
      .max(316)
      .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/),
    status: z.enum(['True', 'False', 'Unknown']),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/),
    message: z.string().max(32_768),
    lastTransitionTime: z.iso.datetime(),
    observedGeneration: z.number().int().min(0).optional(),
  })
  .strict();
export type Condition = z.infer<typeof conditionSchema>;

export const userGenerationJobStatusSchema = z
  .object({
    conditions: z.array(conditionSchema).optional(),
    jobId: z.string().optional().describe("The platform job's id."),
    state: z.string().optional().describe('Pending, Publishing, Suspended, Running, Succeeded, Cancelled or Failed.'),
    chunksTotal: z.number().int().min(0).optional(),
    chunksDone: z.number().int().min(0).optional(),
    usersStored: z.number().int().min(0).optional(),
    progress: z.string().optional().describe('Users stored as a percentage of count, e.g. "42%".'),
    usersPerSec: z.number().int().min(0).optional(),
    etaSeconds: z.number().int().min(0).optional(),
    startTime: z.iso.datetime().optional(),
    completionTime: z.iso.datetime().optional(),
    purge: z
      .object({
        state: z.enum(['purging', 'purged']),
        deleted: z.number().int().min(0),
        remaining: z.number().int().min(0),
      })
      .strict()
      .optional()
      .describe("How far the purge of the job's users has got (reclaimPolicy Delete on deletion, or DELETE /v1/jobs/{id}/users): users deleted so far, users still stored as last counted."),
    observedGeneration: z.number().int().min(0).optional(),
  })
  .strict();
export type UserGenerationJobStatus = z.infer<typeof userGenerationJobStatusSchema>;

/** A UserGenerationJob as the API server returns it (metadata as the operator needs it). */
export interface UserGenerationJob {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
  };
  spec: UserGenerationJobSpec;
  status?: UserGenerationJobStatus;
}
