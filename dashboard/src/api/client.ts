import type { ActivityView, CreateJobRequest, ExportFormat, JobView, PaginatedData, SeriesView, StatsView, UpdateUserRequest, UserView } from '@userforge/contracts/browser';
import { apiBaseUrl, apiUrl } from './config';

/** An error the user can read: the API's `{ error: { code, message } }`, or why the API could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** What a user sees for any failure. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
}

async function request<T>(path: string, { method = 'GET', body, signal }: RequestOptions = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path), {
      method,
      signal,
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError(0, 'network_error', `Cannot reach the API at ${apiBaseUrl()}.`);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: handled below */
  }
  if (!res.ok) {
    const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const message = typeof error?.message === 'string' ? error.message : `The API answered ${res.status} ${res.statusText}`.trim();
    throw new ApiError(res.status, typeof error?.code === 'string' ? error.code : 'http_error', message);
  }
  return json as T;
}

/** Query parameters of `GET /v1/users`, as the URL carries them. */
export type UsersQuery = Record<string, string>;

const qs = (params: Record<string, string | number | undefined>): string => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
};

const id = (value: string) => encodeURIComponent(value);

/** Where a job's users download from (`GET /v1/jobs/{id}/users`): a plain link, the API streams the file. */
export const jobUsersExportUrl = (jobId: string, format: ExportFormat): string => apiUrl(`/v1/jobs/${id(jobId)}/users${qs({ format })}`);

export const api = {
  listUsers: (query: UsersQuery, signal?: AbortSignal) => request<PaginatedData<UserView>>(`/v1/users${qs(query)}`, { signal }),
  getUser: (userId: string, signal?: AbortSignal) => request<UserView>(`/v1/users/${id(userId)}`, { signal }),
  updateUser: (userId: string, changes: UpdateUserRequest) => request<UserView>(`/v1/users/${id(userId)}`, { method: 'PATCH', body: changes }),
  deleteUser: (userId: string) => request<void>(`/v1/users/${id(userId)}`, { method: 'DELETE' }),
  listActivity: (userId: string, signal?: AbortSignal) =>
    request<{ data: ActivityView[] }>(`/v1/users/${id(userId)}/activity?limit=20`, { signal }),
  recordActivity: (userId: string, type = 'visit') => request<unknown>(`/v1/users/${id(userId)}/activity`, { method: 'POST', body: { type } }),
  getStats: (signal?: AbortSignal) => request<StatsView>('/v1/stats', { signal }),
  createJob: (body: CreateJobRequest) => request<JobView>('/v1/jobs', { method: 'POST', body }),
  listJobs: (page: number, limit: number, signal?: AbortSignal) => request<PaginatedData<JobView>>(`/v1/jobs${qs({ page, limit })}`, { signal }),
  cancelJob: (jobId: string) => request<JobView>(`/v1/jobs/${id(jobId)}/cancel`, { method: 'POST' }),
  /** The metrics time series, or null while the API does not serve them (404). */
  getMetricsSeries: async (signal?: AbortSignal): Promise<SeriesView | null> => {
    try {
      return await request<SeriesView>('/v1/metrics/series', { signal });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  },
  /** True when `/healthz` answers 200. */
  isHealthy: async (): Promise<boolean> => {
    try {
      const res = await fetch(apiUrl('/healthz'), { cache: 'no-store' });
      return res.ok;
    } catch {
      return false;
    }
  },
};
