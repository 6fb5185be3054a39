/** The closed lists of values the contracts accept, each with its type. No zod, so the browser may import them. */

export const GENDERS = ['female', 'male'] as const;
export type Gender = (typeof GENDERS)[number];

/** Sort orders of `GET /v1/users`: each one is served by an index. `seq` is creation order. */
export const USER_SORTS = ['seq', '-seq', 'email'] as const;
export type UserSort = (typeof USER_SORTS)[number];

/**
 * `paused`: publishing stopped on request (a suspended UserGenerationJob, `POST /v1/jobs/{id}/pause`)
 * with chunks left to publish; chunks already published are still stored. Resuming returns it to
 * `publishing`. Only publishing pauses: a `running` job (every chunk published) runs to its end.
 */
export const JOB_STATES = ['publishing', 'paused', 'running', 'succeeded', 'cancelled', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'cancelled', 'failed'];
/** The states of a job still at work: every state that is not terminal. */
export const ACTIVE_STATES: readonly JobState[] = JOB_STATES.filter((state) => !TERMINAL_STATES.includes(state));
/** Whether a job in this state is still at work. */
export const isActiveState = (state: JobState): boolean => ACTIVE_STATES.includes(state);

/** Formats of a job's users export (`GET /v1/jobs/{id}/users?format=`): one JSON user a line, or CSV with a header row. */
export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
/** The media type of each export format, as `Accept` asks for it and `Content-Type` answers. */
export const EXPORT_MEDIA_TYPES: Record<ExportFormat, string> = { ndjson: 'application/x-ndjson', csv: 'text/csv' };
