import { z } from 'zod';
import { DEFAULT_PAGE_LIMIT, MAX_CURSOR_LENGTH, MAX_FILTERED_OFFSET, MAX_PAGE_LIMIT, MAX_USERS_PAGE, MIN_BIRTH_DATE, USER_FIELD_MAX } from './limits';
import { OBJECT_ID_HEX } from './object-id';
import { CURSOR, NOT_BLANK, NO_CONTROL_CHARS, SEQ_NUMBER, birthDatePattern, wholeNumberPattern } from './patterns';
import { EXPORT_FORMATS, GENDERS, USER_SORTS } from './types';

export const userIdSchema = z.string().regex(OBJECT_ID_HEX, 'id must be 24 hexadecimal characters');

/** A plain text value: `?email[$ne]=x` arrives as an object and is rejected here; so are control characters. */
const text = (what: string, max: number) =>
  z
    .string({ error: `${what} must be a single plain value` })
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`)
    .regex(NO_CONTROL_CHARS, `${what} must not contain control characters`)
    .regex(NOT_BLANK, `${what} must not be blank`);

/** A whole number in a query string, bounded by its pattern (`?limit=5`). */
export const queryNumber = (what: string, max: number, message = `${what} must be a number between 1 and ${max}`) =>
  z
    .string({ error: `${what} must be a single plain value` })
    .regex(wholeNumberPattern(max), message)
    .transform(Number);
/** A page number: from 1 to `max`. */
export const queryPage = (max: number) => queryNumber('page', max, `page must be at least 1 (a whole number up to ${max})`);

const gender = z.enum(GENDERS, { error: `gender must be one of ${GENDERS.join(', ')}` });

export const listUsersQuerySchema = z
  .object({
    limit: queryNumber('limit', MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
    page: queryPage(MAX_USERS_PAGE)
      .default(1)
      .describe(`Page number. Without filters any page is served; with filters or sort=email, pages up to item ${MAX_FILTERED_OFFSET}, and later pages come back empty: continue with \`after\`.`),
    after: z
      .string({ error: 'after must be a single plain value' })
      .max(MAX_CURSOR_LENGTH, 'not a cursor of this listing (it is too long)')
      .regex(CURSOR, 'not a cursor of this listing (send back the `next` of the previous page)')
      .optional(),
    sort: z.enum(USER_SORTS, { error: `sort must be one of ${USER_SORTS.join(', ')}` }).default('seq'),
    email: text('email', USER_FIELD_MAX.email).toLowerCase().optional(),
    name: text('name', USER_FIELD_MAX.name).optional(),
    country: text('country', USER_FIELD_MAX.country).optional(),
    gender: gender.optional(),
    search: text('search', USER_FIELD_MAX.search).toLowerCase().optional(),
  })
  .strict();
export type ListUsersQuery = z.infer<typeof listUsersQuerySchema>;

/** Query of `GET /v1/jobs/{id}/users`, a job's users export. */
export const exportUsersQuerySchema = z
  .object({
    format: z
      .enum(EXPORT_FORMATS, { error: `format must be one of ${EXPORT_FORMATS.join(', ')}` })
      .optional()
      .describe('`ndjson` (one JSON user a line) or `csv` (a header row, then one user a row). Wins over `Accept`; without either, `ndjson`.'),
    after: z
      .string({ error: 'after must be a single plain value' })
      .regex(SEQ_NUMBER, 'after must be a sequence number (a whole number of up to 15 digits)')
      .transform(Number)
      .optional()
      .describe('Resume: only users whose `seq` is greater (send the `seq` of the last complete line received).'),
  })
  .strict();
export type ExportUsersQuery = z.infer<typeof exportUsersQuerySchema>;

const personName = z.object({ first: text('name.first', USER_FIELD_MAX.name), last: text('name.last', USER_FIELD_MAX.name) }).strict();
const address = z
  .object({
    street: text('address.street', USER_FIELD_MAX.street),
    city: text('address.city', USER_FIELD_MAX.city),
    country: text('address.country', USER_FIELD_MAX.country),
  })
  .strict();
const lastYear = new Date().getUTCFullYear() - 1;
const birthDate = z
  .string()
  .regex(birthDatePattern(Number(MIN_BIRTH_DATE.slice(0, 4)), lastYear), `birthDate must be a date (YYYY-MM-DD) from ${MIN_BIRTH_DATE} to ${lastYear}-12-31`);

/** Fields a client may set; anything else is rejected (no mass assignment). */
const editable = {
  name: personName,
  email: z
    .email('email must be a valid email address')
    .max(USER_FIELD_MAX.email, `email must be at most ${USER_FIELD_MAX.email} characters`)
    .regex(/^[^@]{1,64}@/, 'email must have at most 64 characters before the @')
    .toLowerCase(),
  username: z.string().regex(/^[A-Za-z0-9._-]{3,40}$/, 'username must be 3-40 letters, digits, dots, dashes or underscores'),
  phone: z.string().regex(/^[0-9+().\- x]{5,30}$/, 'phone must be 5-30 digits, spaces or + ( ) . - x'),
  gender,
  birthDate,
  avatar: z
    .string()
    .max(USER_FIELD_MAX.avatar, `avatar must be at most ${USER_FIELD_MAX.avatar} characters`)
    .regex(/^https?:\/\/[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?(\/[!#-~]*)?$/, 'avatar must be an http(s) URL'),
  address,
  company: text('company', USER_FIELD_MAX.company),
  jobTitle: text('jobTitle', USER_FIELD_MAX.jobTitle),
};

export const createUserRequestSchema = z
  .object({
    ...editable,
    avatar: editable.avatar.optional(),
    company: editable.company.optional(),
    jobTitle: editable.jobTitle.optional(),
  })
  .strict();
export type CreateUserRequest = z.infer<typeof createUserRequestSchema>;

export const updateUserRequestSchema = z
  .object(editable)
  .partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'send at least one field to change')
  .meta({ minProperties: 1 });
export type UpdateUserRequest = z.infer<typeof updateUserRequestSchema>;

export const recordActivityRequestSchema = z
  .object({
    /** What the user did; free text such as `login`, `view`, `purchase`. */
    type: z.string().regex(/^[a-z][a-z0-9_.-]{0,39}$/, 'type must be 1-40 lowercase letters, digits, . _ or -').default('visit'),
  })
  .strict();
