import type { z } from 'zod';
import { AppError } from './errors';

/**
 * Parses outside input against a schema. Failure is a 400 whose message names each bad field, and
 * whose details list them, e.g. `count: count must be an integer`.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.join('.');
    const message =
      issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message;
    return { field: field || null, message };
  });
  const text = problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; ');
  throw AppError.badRequest(`invalid ${what}: ${text}`, problems, 'validation_failed');
}
