import { z } from 'zod';

export const GENDERS = ['female', 'male'] as const;
export type Gender = (typeof GENDERS)[number];

const objectIdHex = /^[a-f0-9]{24}$/;
export const userIdSchema = z.string().regex(objectIdHex, 'id must be 24 hexadecimal characters');

/** Sort orders of `GET /v1/users`: each one is served by an index. `seq` is creation order. */
export const USER_SORTS = ['seq', '-seq', 'email'] as const;
export type UserSort = (typeof USER_SORTS)[number];

/** A plain query-string value: `?email[$ne]=x` arrives as an object and is rejected here. */
const text = (what: string, max: number) =>
  z
    .string({ error: `${what} must be a single plain value` })
    .trim()
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`);

export const listUsersQuerySchema = z
  .object({
    limit: z.coerce.number({ error: 'limit must be a number' }).int('limit must be a whole number').min(1, 'limit must be between 1 and 100').max(100, 'limit must be between 1 and 100').default(10),
    page: z.coerce.number({ error: 'page must be a number' }).int('page must be a whole number').min(1, 'page must be at least 1').max(100_000_000).default(1),
    after: text('after', 200).optional(),
    sort: z.enum(USER_SORTS, { error: `sort must be one of ${USER_SORTS.join(', ')}` }).default('seq'),
    email: text('email', 254).toLowerCase().optional(),
    name: text('name', 100).optional(),
    country: text('country', 100).optional(),
    gender: z.enum(GENDERS, { error: `gender must be one of ${GENDERS.join(', ')}` }).optional(),
    search: text('search', 100).toLowerCase().optional(),
  })
  .strict();
export type ListUsersQuery = z.infer<typeof listUsersQuerySchema>;

/** A user as the API returns it. */
export interface UserView {
  id: string;
  seq: number;
  jobId: string | null;
  name: { first: string; last: string };
  email: string;
  username: string;
  phone: string;
  gender: Gender;
  birthDate: string;
  avatar: string;
  address: { street: string; city: string; country: string };
  company: string;
  jobTitle: string;
  createdAt: string;
  updatedAt: string;
  lastActive: string;
}

const personName = z.object({ first: text('name.first', 100), last: text('name.last', 100) }).strict();
const address = z
  .object({ street: text('address.street', 200), city: text('address.city', 100), country: text('address.country', 100) })
  .strict();
const birthDate = z.iso
  .date('birthDate must be a date (YYYY-MM-DD)')
  .refine((d) => d >= '1900-01-01' && new Date(d) <= new Date(), 'birthDate must be between 1900-01-01 and today');

/** Fields a client may set; anything else is rejected (no mass assignment). */
const editable = {
  name: personName,
  email: z.email('email must be a valid email address').max(254).toLowerCase(),
  username: z.string().regex(/^[A-Za-z0-9._-]{3,40}$/, 'username must be 3-40 letters, digits, dots, dashes or underscores'),
  phone: z.string().regex(/^[0-9+().\- x]{5,30}$/, 'phone must be 5-30 digits, spaces or + ( ) . - x'),
  gender: z.enum(GENDERS, { error: `gender must be one of ${GENDERS.join(', ')}` }),
  birthDate,
  avatar: z.url('avatar must be an http(s) URL').max(500).refine((u) => /^https?:\/\//.test(u), 'avatar must be an http(s) URL'),
  address,
  company: text('company', 200),
  jobTitle: text('jobTitle', 200),
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
  .refine((body) => Object.keys(body).length > 0, 'send at least one field to change');
export type UpdateUserRequest = z.infer<typeof updateUserRequestSchema>;

export const recordActivityRequestSchema = z
  .object({
    /** What the user did; free text such as `login`, `view`, `purchase`. */
    type: z.string().regex(/^[a-z][a-z0-9_.-]{0,39}$/, 'type must be 1-40 lowercase letters, digits, . _ or -').default('visit'),
  })
  .strict();

export interface ActivityView {
  id: string;
  userId: string;
  type: string;
  at: string;
  device: string;
  browser: string;
  os: string;
}

/** `GET /v1/stats`: what the dashboard's cards and charts show. */
export interface Counted {
  name: string;
  count: number;
}
export interface StatsView {
  totalUsers: number;
  totalActivityEvents: number;
  countries: number;
  activeUsers: { daily: number; weekly: number; monthly: number };
  topCountries: Counted[];
  genders: Counted[];
  devices: Counted[];
  browsers: Counted[];
  os: Counted[];
  topUsers: { userId: string; count: number }[];
  computedAt: string;
}
