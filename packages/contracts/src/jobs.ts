import { z } from 'zod';
import { LOCALES } from './locales';

export const JOB_STATES = ['publishing', 'running', 'succeeded', 'cancelled', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'cancelled', 'failed'];

export const MAX_CHUNK_SIZE = 100_000;
export const UINT32_MAX = 0xffff_ffff;

/** Body of `POST /v1/jobs`. `maxCount` is configuration, so the schema is built per process. */
export function createJobRequestSchema(maxCount: number) {
  return z
    .object({
      count: z
        .number({ error: 'count must be a number' })
        .int('count must be an integer')
        .min(1, 'count must be at least 1')
        .max(maxCount, `count must be at most ${maxCount}`),
      seed: z.number().int('seed must be an integer').min(0).max(UINT32_MAX, `seed must be at most ${UINT32_MAX}`).optional(),
      chunkSize: z
        .number()
        .int('chunkSize must be an integer')
        .min(100, 'chunkSize must be at least 100')
        .max(MAX_CHUNK_SIZE, `chunkSize must be at most ${MAX_CHUNK_SIZE}`)
        .optional(),
      locale: z.enum(LOCALES, { error: `locale must be one of ${LOCALES.join(', ')}` }).optional(),
    })
    .strict();
}
export type CreateJobRequest = z.infer<ReturnType<typeof createJobRequestSchema>>;

/** What the API returns for a job, and what progress events carry. */
export interface JobView {
  id: string;
  state: JobState;
  count: number;
  seed: number;
  chunkSize: number;
  locale: string;
  chunksTotal: number;
  chunksPublished: number;
  chunksDone: number;
  usersStored: number;
  /** Average users stored per second since the job started. */
  usersPerSec: number;
  /** Estimated seconds to completion, null when unknown or finished. */
  etaSeconds: number | null;
  progress: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  error: string | null;
}

/** Pushed on `GET /v1/events` (Server-Sent Events) and through Redis between processes. */
export type PlatformEvent = { type: 'job'; job: JobView };
