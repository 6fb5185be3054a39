import { MAX_CHUNK_SIZE, MAX_JOB_COUNT, MAX_SEED, MIN_CHUNK_SIZE, USER_FIELD_MAX, type CreateJobRequest } from '@userforge/contracts/browser';
import { formatNumber } from './format';

/**
 * Client-side checks of the dashboard's two forms, with messages meant for people. The API checks
 * again (its zod schemas, with the same limits from the contracts) and its messages are shown too.
 */

export type FieldErrors<K extends string> = Partial<Record<K, string>>;

// ---- POST /v1/jobs ----------------------------------------------------------------------------

export interface JobFormValues {
  count: string;
  seed: string;
  chunkSize: string;
}
export type JobField = keyof JobFormValues;
export type JobRequest = Pick<CreateJobRequest, 'count' | 'seed' | 'chunkSize'>;

/** A whole number typed by a person: digit-group commas, spaces and underscores are allowed. */
function parseWhole(raw: string): number | 'not-whole' {
  const text = raw.trim().replace(/[,_\s]/g, '');
  if (!/^[+-]?\d+$/.test(text)) return 'not-whole';
  return Number(text);
}

function checkWhole(label: string, raw: string, min: number, max: number, required: boolean): string | number | undefined {
  if (raw.trim() === '') return required ? `${label} is required.` : undefined;
  const value = parseWhole(raw);
  if (value === 'not-whole') return `${label} must be a whole number.`;
  if (value < min || value > max) return `${label} must be between ${formatNumber(min)} and ${formatNumber(max)}.`;
  return value;
}

export function validateJobForm(values: JobFormValues): { errors: FieldErrors<JobField>; request?: JobRequest } {
  const errors: FieldErrors<JobField> = {};
  const count = checkWhole('Number of users', values.count, 1, MAX_JOB_COUNT, true);
  const seed = checkWhole('Seed', values.seed, 0, MAX_SEED, false);
  const chunkSize = checkWhole('Chunk size', values.chunkSize, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE, false);
  if (typeof count === 'string') errors.count = count;
  if (typeof seed === 'string') errors.seed = seed;
  if (typeof chunkSize === 'string') errors.chunkSize = chunkSize;
  if (Object.keys(errors).length > 0 || typeof count !== 'number') return { errors };
  const request: JobRequest = { count };
  if (typeof seed === 'number') request.seed = seed;
  if (typeof chunkSize === 'number') request.chunkSize = chunkSize;
  return { errors, request };
}

// ---- PATCH /v1/users/:id ----------------------------------------------------------------------

export interface UserEditValues {
  firstName: string;
  lastName: string;
  email: string;
  jobTitle: string;
  city: string;
  country: string;
}
export type UserEditField = keyof UserEditValues;

export const USER_EDIT_LABELS: Record<UserEditField, string> = {
  firstName: 'First name',
  lastName: 'Last name',
  email: 'Email',
  jobTitle: 'Job title',
  city: 'City',
  country: 'Country',
};

const USER_EDIT_MAX: Record<UserEditField, number> = {
  firstName: USER_FIELD_MAX.name,
  lastName: USER_FIELD_MAX.name,
  email: USER_FIELD_MAX.email,
  jobTitle: USER_FIELD_MAX.jobTitle,
  city: USER_FIELD_MAX.city,
  country: USER_FIELD_MAX.country,
};

// One @, no spaces, a dot in the domain: what people mistype, not the whole RFC (the API decides).
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

export function validateUserEdit(values: UserEditValues): FieldErrors<UserEditField> {
  const errors: FieldErrors<UserEditField> = {};
  for (const field of Object.keys(USER_EDIT_LABELS) as UserEditField[]) {
    const value = values[field].trim();
    const label = USER_EDIT_LABELS[field];
    if (value === '') errors[field] = `${label} is required.`;
    else if (value.length > USER_EDIT_MAX[field]) errors[field] = `${label} must be at most ${USER_EDIT_MAX[field]} characters.`;
  }
  if (!errors.email && !EMAIL.test(values.email.trim())) errors.email = 'Enter a valid email address, like name@example.com.';
  return errors;
}
