import { z } from 'zod';
import { MAX_CHUNK_SIZE, MAX_SEED, MIN_CHUNK_SIZE } from './limits';
import { LOCALES } from './locales';

/**
 * The parameters of a job, written once: the body of `POST /v1/jobs` and the spec of a
 * UserGenerationJob (user-generation-job.ts) are both built from them. `maxCount` is configuration
 * (MAX_JOB_COUNT), so the shape is built per process.
 */
export function jobParametersShape(maxCount: number) {
  return {
    count: z
      .number({ error: 'count must be a number' })
      .int('count must be an integer')
      .min(1, 'count must be at least 1')
      .max(maxCount, `count must be at most ${maxCount}`),
    seed: z.number().int('seed must be an integer').min(0).max(MAX_SEED, `seed must be at most ${MAX_SEED}`).optional(),
    chunkSize: z
      .number()
      .int('chunkSize must be an integer')
      .min(MIN_CHUNK_SIZE, `chunkSize must be at least ${MIN_CHUNK_SIZE}`)
      .max(MAX_CHUNK_SIZE, `chunkSize must be at most ${MAX_CHUNK_SIZE}`)
      .optional(),
    locale: z.enum(LOCALES, { error: `locale must be one of ${LOCALES.join(', ')}` }).optional(),
  };
}

/** Body of `POST /v1/jobs`. */
export function createJobRequestSchema(maxCount: number) {
  return z.object(jobParametersShape(maxCount)).strict();
}
export type CreateJobRequest = z.infer<ReturnType<typeof createJobRequestSchema>>;
