import { z } from 'zod';

/** Thrown when the environment does not satisfy a process's config schema. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Parses environment variables against a zod object whose keys are the variable names.
 * Empty strings count as unset so `FOO= npm start` falls back to the default.
 */
export function loadConfig<S extends z.ZodRawShape>(shape: S, env: Env = process.env): z.infer<z.ZodObject<S>> {
  const input: Env = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = z.object(shape).safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const got = env[name];
        return `${name}: ${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`;
      }),
    );
  }
  return result.data;
}

/** Reusable field builders so every process spells ports, URLs and flags the same way. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number().int().min(min).max(max).default(fallback),
  str: (fallback: string) => z.string().min(1).default(fallback),
  url: (fallback: string) => z.string().url().default(fallback),
  list: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/** Connection settings shared by every process that talks to the platform's servers. */
// Checked here so a typo fails at start with the variable's name; a server that is merely down is waited for.
export const connectionShape = {
  MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\/[^/\s]+/, 'must be a mongodb:// or mongodb+srv:// URL').default('mongodb://127.0.0.1:27017/userforge'),
  REDIS_URL: z.string().regex(/^rediss?:\/\/\S*$/, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
  KAFKA_BROKERS: env
    .list('127.0.0.1:9092')
    .refine((brokers) => brokers.length > 0 && brokers.every((b) => /^[^\s:/]+:\d{1,5}$/.test(b)), 'must be host:port[,host:port…]'),
  LOG_LEVEL: env.logLevel(),
};
