/**
 * `@userforge/contracts/browser`: the limits, lists and view types of the contracts without zod, for
 * the dashboard's bundle. Only zod-free modules are exported here; the schemas' inferred request
 * types come as `export type`, which leaves nothing in the bundle.
 */
export * from './limits';
export * from './locales';
export * from './object-id';
export * from './patterns';
export * from './types';
export * from './views';
export type { CreateJobRequest } from './jobs';
export type { CreateUserRequest, ListUsersQuery, UpdateUserRequest } from './users';
