/**
 * Every bound the API enforces and the dashboard checks again before sending, in one place. No zod
 * here: the dashboard imports this module into its bundle (through `@userforge/contracts/browser`).
 */

// ---- Jobs (`POST /v1/jobs`, `user.create.bulk.randomusers`) ------------------------------------

export const MIN_CHUNK_SIZE = 100;
/** Users per chunk when a job does not say; chosen with `npm run bench:generate -- --chunk-size N` (see docs/benchmarks.md): amortises per-chunk bookkeeping. */
export const DEFAULT_CHUNK_SIZE = 10_000;
export const MAX_CHUNK_SIZE = 100_000;
export const MAX_CHUNKS_PER_JOB = 10_000;
/** Users a job may have at most: the default, and the ceiling, of the API's MAX_JOB_COUNT setting. */
export const MAX_JOB_COUNT = MAX_CHUNKS_PER_JOB * MAX_CHUNK_SIZE;
export const UINT32_MAX = 0xffff_ffff;
/** Seeds are unsigned 32-bit integers. */
export const MAX_SEED = UINT32_MAX;

// ---- Lists (`GET /v1/jobs`, `GET /v1/users`) ---------------------------------------------------

export const DEFAULT_PAGE_LIMIT = 10;
export const MAX_PAGE_LIMIT = 100;
/** Highest page number of `GET /v1/jobs`. */
export const MAX_JOBS_PAGE = 1_000_000;
/** Highest page number of `GET /v1/users`. */
export const MAX_USERS_PAGE = 100_000_000;
/** With filters or sort=email, `GET /v1/users` serves page numbers up to this item; beyond, a cursor (`after`). */
export const MAX_FILTERED_OFFSET = 10_000;
/** A cursor: up to 15 digits of sequence number, `~`, an email of up to 254 characters. */
export const MAX_CURSOR_LENGTH = 270;

// ---- Users (`POST`/`PATCH /v1/users`, the filters of `GET /v1/users`) --------------------------

/** Longest value, in characters, of each user text field; `name` bounds each of name.first and name.last. */
export const USER_FIELD_MAX = {
  name: 100,
  email: 254,
  street: 200,
  city: 100,
  country: 100,
  company: 200,
  jobTitle: 200,
  avatar: 500,
  /** The free-text `search` filter. */
  search: 100,
} as const;

/** Earliest birth date a user may have (YYYY-MM-DD); the latest is today. */
export const MIN_BIRTH_DATE = '1900-01-01';
