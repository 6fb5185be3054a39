import { z } from 'zod';

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

export const paginationQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(10),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
});
