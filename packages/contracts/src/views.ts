import type { Gender, JobState } from './types';

/**
 * What the API answers and pushes, shared by the server and the dashboard. Plain types only (no zod),
 * so the browser entry can carry them.
 */

/** The response shape of every list endpoint, shared by the API and the dashboard. */
export interface PaginatedData<T> {
  data: T[];
  page: number;
  limit: number;
  /** Matching items, or null when a filter combination cannot be counted cheaply. */
  total: number | null;
  /** Opaque cursor for the next page, or null on the last page. */
  next: string | null;
}

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
  /** Present once its users' purge (`DELETE /v1/jobs/{id}/users`) has begun. */
  purge?: PurgeView;
}

/** How far the purge of a job's users has got. */
export interface PurgeView {
  /** `purging` until every user of the job is gone (an interrupted purge stays here until repeated), then `purged`. */
  state: 'purging' | 'purged';
  /** Users removed by the job's purges so far. */
  deleted: number;
  /** Users of the job still stored, as the purge last counted them. */
  remaining: number;
}

/** Pushed on `GET /v1/events` (Server-Sent Events) and through Redis between processes. */
export type PlatformEvent = { type: 'job'; job: JobView };

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

/** A point of a time series as the dashboard charts it. */
export interface SeriesPoint {
  t: string;
  value: number;
}

/** `GET /v1/metrics/series`: generation throughput (users/s) and consumer lag over time. */
export interface SeriesView {
  source: 'prometheus' | 'api';
  throughput: SeriesPoint[];
  lag: SeriesPoint[];
}
