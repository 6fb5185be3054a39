import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, createMetricsRegistry, type Logger } from '@userforge/platform';
import { createApp } from '../src/app';
import { route } from '../src/http/contract/route';

/** What a client of a streamed reply sees: the status, the body it got, and whether the body ended cleanly. */
function download(url: string, method = 'GET'): Promise<{ status: number; body: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('error', () => undefined); // a cut connection: `complete` stays false
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body, complete: res.complete }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('streamed replies of the route contract', () => {
  const registry = createMetricsRegistry('stream-test');
  const errors: unknown[] = [];
  const logger = Object.assign(createLogger('stream-test', 'silent'), { error: (fields: { err?: unknown }) => errors.push(fields.err) }) as Logger;
  let pulled = 0;
  let server: http.Server;
  let base: string;

  async function* failingAfter(chunks: number) {
    for (let i = 0; i < chunks; i++) {
      pulled++;
      yield `line ${i}\n`.repeat(1000);
    }
    throw new Error('database went away');
  }
  const streamed = (path: string, stream: () => AsyncIterable<string>) =>
    route({ method: 'get', path, operationId: path, tag: 'jobs', summary: path, responses: { 200: { description: 'text' } }, errors: [], handle: () => ({ status: 200, stream: stream(), headers: { 'Content-Type': 'text/plain' } }) });

  beforeAll(async () => {
    const app = createApp({
      logger,
      registry,
      routes: [
        streamed('/fails-midway', () => failingAfter(3)),
        streamed('/fails-at-once', () => failingAfter(0)),
        streamed('/counts', () => failingAfter(5)),
      ],
    });
    server = await new Promise<http.Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('cuts the body of a source that fails once the status is sent (never a clean end), and logs the failure', async () => {
    const res = await download(`${base}/fails-midway`);
    expect(res.status).toBe(200);
    expect(res.complete).toBe(false);
    expect(res.body.length).toBeLessThanOrEqual('line 0\n'.length * 1000 * 3);
    expect(errors).toEqual([expect.objectContaining({ message: 'database went away' })]);
    expect(await registry.getSingleMetricAsString('userforge_http_unexpected_errors_total')).toMatch(/ 1$/m);
  });

  it('answers a source that fails before sending anything with an ordinary JSON error', async () => {
    const res = await download(`${base}/fails-at-once`);
    expect(res).toEqual({ status: 500, body: JSON.stringify({ error: { code: 'internal', message: 'internal server error' } }), complete: true });
  });

  it('reads nothing from the source for HEAD', async () => {
    pulled = 0;
    const res = await download(`${base}/counts`, 'HEAD');
    expect([res.status, res.body, pulled]).toEqual([200, '', 0]);
  });
});
