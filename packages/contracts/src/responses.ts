import { z } from 'zod';
import { OBJECT_ID_HEX } from './object-id';
import { GENDERS, JOB_STATES } from './types';
import type { ActivityView, JobView, PaginatedData, SeriesView, StatsView, UserView } from './views';

/**
 * Response bodies as zod schemas: the API's OpenAPI document is generated from them, and each is
 * checked at compile time against the plain view type the dashboard uses (views.ts), so the two
 * cannot drift.
 */

const id = z.string().regex(OBJECT_ID_HEX);
const dateTime = z.iso.datetime();
const count = z.number().int().min(0);

export const userViewSchema = z
  .object({
    id,
    seq: count.describe('Creation order.'),
    jobId: id.nullable().describe('The generation job that created the user, null when created through the API.'),
    name: z.object({ first: z.string(), last: z.string() }).strict(),
    email: z.string(),
    username: z.string(),
    phone: z.string(),
    gender: z.enum(GENDERS),
    birthDate: z.iso.date(),
    avatar: z.string(),
    address: z.object({ street: z.string(), city: z.string(), country: z.string() }).strict(),
    company: z.string(),
    jobTitle: z.string(),
    createdAt: dateTime,
    updatedAt: dateTime,
    lastActive: dateTime,
  })
  .strict();

export const jobViewSchema = z
  .object({
    id,
    state: z.enum(JOB_STATES),
    count: count,
    seed: count,
    chunkSize: count,
    locale: z.string(),
    chunksTotal: count,
    chunksPublished: count,
    chunksDone: count,
    usersStored: count,
    usersPerSec: z.number().min(0).describe('Average users stored per second since the job started.'),
    etaSeconds: z.number().min(0).nullable().describe('Estimated seconds to completion, null when unknown or finished.'),
    progress: z.number().min(0).max(1),
    createdAt: dateTime,
    startedAt: dateTime.nullable(),
    finishedAt: dateTime.nullable(),
    updatedAt: dateTime,
    error: z.string().nullable(),
    purge: z
      .object({
        state: z.enum(['purging', 'purged']).describe('`purging` until every user of the job is gone (an interrupted purge stays so until repeated), then `purged`.'),
        deleted: count.describe('Users removed by the job\'s purges so far.'),
        remaining: count.describe('Users of the job still stored, as the purge last counted them.'),
      })
      .strict()
      .optional()
      .describe('Present once a purge of the job\'s users (`DELETE /v1/jobs/{id}/users`) has begun.'),
  })
  .strict();

export function pageSchema<T extends z.ZodType>(item: T) {
  return z
    .object({
      data: z.array(item),
      page: z.number().int().min(1),
      limit: z.number().int().min(1),
      total: count.nullable().describe('Matching items, or null when the filter combination cannot be counted cheaply.'),
      next: z.string().nullable().describe('Opaque cursor for the next page (`after`), or null on the last page.'),
    })
    .strict();
}
export const userPageSchema = pageSchema(userViewSchema);
export const jobPageSchema = pageSchema(jobViewSchema);

export const jobEventSchema = z.object({ type: z.literal('job'), job: jobViewSchema }).strict();

export const activityViewSchema = z
  .object({ id, userId: id, type: z.string(), at: dateTime, device: z.string(), browser: z.string(), os: z.string() })
  .strict();
export const activityListSchema = z.object({ data: z.array(activityViewSchema) }).strict();
export const activityAcceptedSchema = z
  .object({ id, userId: id, type: z.string(), at: dateTime })
  .strict()
  .describe('Accepted for storage; device, browser and OS are parsed when it is stored.');

const counted = z.object({ name: z.string(), count }).strict();
export const statsViewSchema = z
  .object({
    totalUsers: count,
    totalActivityEvents: count,
    countries: count,
    activeUsers: z.object({ daily: count, weekly: count, monthly: count }).strict(),
    topCountries: z.array(counted),
    genders: z.array(counted),
    devices: z.array(counted),
    browsers: z.array(counted),
    os: z.array(counted),
    topUsers: z.array(z.object({ userId: id, count }).strict()),
    computedAt: dateTime,
  })
  .strict();

const point = z.object({ t: dateTime, value: z.number() }).strict();
export const seriesViewSchema = z
  .object({
    source: z.enum(['prometheus', 'api']),
    throughput: z.array(point).describe('Users stored per second.'),
    lag: z.array(point).describe('Consumer lag (messages; chunks waiting when from the API).'),
  })
  .strict();

export const userCountSchema = z
  .object({ total: count.nullable().describe('Null when the filter combination cannot be counted without a scan.') })
  .strict();

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable, machine-readable error code, e.g. `validation_failed`.'),
      message: z.string(),
      details: z.unknown().optional().describe('Extra context; for `validation_failed`, a list of `{ field, message }`.'),
    }),
  })
  .strict();

export const healthSchema = z.object({ status: z.literal('ok') }).strict();
export const readinessSchema = z
  .object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string().describe('`ok` or `down: <reason>`')) })
  .strict();

// Compile-time checks: each schema's output and its view type are assignable both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree = <T extends true>(_: T) => undefined;
agree<Same<z.output<typeof userViewSchema>, UserView>>(true);
agree<Same<z.output<typeof jobViewSchema>, JobView>>(true);
agree<Same<z.output<typeof userPageSchema>, PaginatedData<UserView>>>(true);
agree<Same<z.output<typeof activityViewSchema>, ActivityView>>(true);
agree<Same<z.output<typeof statsViewSchema>, StatsView>>(true);
agree<Same<z.output<typeof seriesViewSchema>, SeriesView>>(true);
