import { connectionShape, env, loadConfig } from '@userforge/platform';

export const apiConfigShape = {
  ...connectionShape,
  PORT: env.port(9000),
  HOST: env.str('0.0.0.0'),
};

export type ApiConfig = ReturnType<typeof loadApiConfig>;

export function loadApiConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(apiConfigShape, source);
}
