/** Small helpers for talking to a server under test. */
export async function json<T = unknown>(res: Response): Promise<{ status: number; body: T; headers: Headers }> {
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export { waitUntil } from '@userforge/devstack';
