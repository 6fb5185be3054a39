import { z } from 'zod';
import { DEFAULT_PAGE_LIMIT, MAX_JOBS_PAGE, MAX_PAGE_LIMIT } from './limits';
import { queryNumber, queryPage } from './users';

export const paginationQuerySchema = z
  .object({
    limit: queryNumber('limit', MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
    page: queryPage(MAX_JOBS_PAGE).default(1),
  })
  .strict();
