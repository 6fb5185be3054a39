import { z } from 'zod';
import { DEFAULT_PAGE_LIMIT, MAX_JOBS_PAGE, MAX_PAGE_LIMIT } from './limits';

export const paginationQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
  page: z.coerce.number().int().min(1).max(MAX_JOBS_PAGE).default(1),
});
