/** Where the API lives: runtime config (public/config.js) first, then the build-time env, then the local default. */
const LOCAL_API_URL = 'http://localhost:9000';

let buildTimeApiUrl: string | undefined;

/**
 * main.tsx hands over `import.meta.env.VITE_API_URL`; reading `import.meta` here would keep this
 * module out of the (CommonJS) unit tests.
 */
export function setBuildTimeApiUrl(url: string | undefined): void {
  buildTimeApiUrl = url;
}

export function apiBaseUrl(): string {
  const runtime = typeof window !== 'undefined' ? window.USERFORGE_CONFIG?.apiUrl?.trim() : undefined;
  const url = runtime || buildTimeApiUrl?.trim() || LOCAL_API_URL;
  return url.replace(/\/+$/, '');
}

export function apiUrl(path: string): string {
  return `${apiBaseUrl()}${path}`;
}
