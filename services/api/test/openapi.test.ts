import type { AddressInfo } from 'node:net';
import http, { type Server } from 'node:http';
import { createMetricsRegistry, createLogger } from '@userforge/platform';
import { createApp } from '../src/app';
import { loadApiConfig } from '../src/config';
import { apiRoutes } from '../src/http/routes';

type Json = Record<string, unknown>;
interface Operation {
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean; schema: Json }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Json }> };
  security?: unknown[];
  deprecated?: boolean;
  responses: Record<string, Json & { headers?: Json }>;
}
interface Doc {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
  components: Json & { securitySchemes?: Json };
}

/**
 * The router and the document come from one route table; these tests hold them to each other
 * through the running app, so a route answered but not documented (or documented but not
 * answered) fails here.
 */
function build(env: Record<string, string> = {}) {
  const config = loadApiConfig({ MAX_JOB_COUNT: '4321', ...env });
  // Handlers are never reached here: every request below is refused by routing or validation.
  const inert = {} as never;
  const routes = apiRoutes({ config, registry: createMetricsRegistry('api-test'), checks: {}, jobs: inert, purger: inert, list: inert, users: inert, exporting: inert, cache: inert, hub: inert, live: inert, activeJobs: inert });
  const app = createApp({ logger: createLogger('api-test', 'silent'), registry: createMetricsRegistry('api-test-app'), routes });
  return { app, routes };
}

async function serve(env: Record<string, string> = {}) {
  const { app } = build(env);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as Doc;
  return { server, base, doc };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'trace'];

/** Any method, TRACE included (fetch refuses to send it). */
function send(method: string, url: string): Promise<{ status: number; allow: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: String(res.headers.allow ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}
const expressPath = (path: string) => path.replace(/\{([A-Za-z]+)\}/g, ':$1');

describe('OpenAPI document and router, from one route table', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    s = await serve();
  });
  afterAll(() => new Promise<void>((resolve) => s.server.close(() => resolve())));

  it('is served at /openapi.json as OpenAPI 3.1', () => {
    expect(s.doc.openapi).toMatch(/^3\.1\.\d+$/);
  });

  it('documents exactly the routes the router answers', () => {
    const { app } = build();
    // Express 5 keeps the route table's router as one layer; its route layers are what it answers.
    const layers = (app.router.stack as { handle: { stack?: { route?: { path: string; methods: Record<string, boolean> } }[] } }[])
      .flatMap((layer) => layer.handle.stack ?? [])
      .filter((layer) => layer.route && !layer.route.methods._all);
    const answered = layers.flatMap((l) => Object.keys(l.route!.methods).map((m) => `${m} ${l.route!.path}`)).sort();
    const documented = Object.entries(s.doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${expressPath(path)}`)).sort();
    expect(answered.length).toBeGreaterThan(15);
    expect(answered).toEqual(documented);
  });

  it('answers every undocumented method on a documented path with 405 and the documented methods in Allow', async () => {
    for (const [path, item] of Object.entries(s.doc.paths)) {
      const url = `${s.base}${path.replace(/\{[A-Za-z]+\}/g, '1')}`;
      const documented = Object.keys(item).map((m) => m.toUpperCase());
      for (const method of METHODS.filter((m) => !item[m])) {
        const res = await send(method.toUpperCase(), url);
        const allow = res.allow.split(', ').filter((m) => m !== 'HEAD' && m !== 'OPTIONS');
        expect([path, method, res.status]).toEqual([path, method, 405]);
        expect([path, allow.sort()]).toEqual([path, documented.sort()]);
        expect((JSON.parse(res.body) as { error: { code: string } }).error.code).toBe('method_not_allowed');
      }
    }
  });

  it('declares 400 wherever validation can refuse a request, and the router does refuse it', async () => {
    for (const [path, item] of Object.entries(s.doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const hasPath = (op.parameters ?? []).some((p) => p.in === 'path');
        if (!hasPath && !op.requestBody) continue;
        expect([method, path, Object.keys(op.responses)]).toEqual([method, path, expect.arrayContaining(['400'])]);
        if (!hasPath) continue;
        const res = await fetch(`${s.base}${path.replace(/\{[A-Za-z]+\}/g, 'not-an-id%00')}`, { method: method.toUpperCase(), headers: { 'content-type': 'application/json' }, body: method === 'get' ? undefined : '{}' });
        expect([method, path, res.status]).toEqual([method, path, 400]);
      }
    }
  });

  it('gives every operation a unique operationId and states the configured job count bound', () => {
    const ids = Object.values(s.doc.paths).flatMap((item) => Object.values(item).map((o) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    const schema = s.doc.paths['/v1/jobs']!.post!.requestBody?.content['application/json']?.schema;
    expect(schema).toMatchObject({ type: 'object', required: ['count'], properties: { count: { type: 'integer', minimum: 1, maximum: 4321 } } });
    const count = s.doc.paths['/v1/generate/users/random/{count}']!.post!.parameters?.find((p) => p.name === 'count');
    expect(new RegExp(String(count?.schema.pattern)).test('4321')).toBe(true);
    expect(new RegExp(String(count?.schema.pattern)).test('4322')).toBe(false);
  });

  it('marks the legacy GET generation route deprecated, and says so in a header', () => {
    const get = s.doc.paths['/v1/generate/users/random/{count}']!.get!;
    expect(get.deprecated).toBe(true);
    expect(Object.keys(get.responses['202']!.headers ?? {})).toEqual(expect.arrayContaining(['Deprecation', 'Link']));
    expect(s.doc.paths['/v1/generate/users/random/{count}']!.post!.deprecated).toBeUndefined();
  });

  it("declares the users export's two media types, its parameters and headers, and its 406", () => {
    const op = s.doc.paths['/v1/jobs/{id}/users']!.get!;
    expect(Object.keys(op.responses['200']!.content as Json)).toEqual(['application/x-ndjson', 'text/csv']);
    expect(Object.keys(op.responses['200']!.headers ?? {})).toEqual(['Content-Disposition', 'X-Export-Complete', 'X-Job-State']);
    expect(op.parameters?.map((p) => `${p.in} ${p.name}${p.required ? '' : '?'}`)).toEqual(['path id', 'query format?', 'query after?']);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '404', '406', '503']));
  });

  it('declares no security scheme while API_KEY is unset', () => {
    expect(s.doc.components.securitySchemes).toBeUndefined();
    for (const item of Object.values(s.doc.paths)) for (const op of Object.values(item)) expect([op.operationId, op.security]).toEqual([op.operationId, undefined]);
  });
});

describe('with API_KEY set', () => {
  it('declares the scheme on exactly the routes that refuse a request without the key', async () => {
    const s = await serve({ API_KEY: 'a-long-enough-test-key' });
    try {
      expect(s.doc.components.securitySchemes).toBeDefined();
      for (const [path, item] of Object.entries(s.doc.paths)) {
        for (const [method, op] of Object.entries(item)) {
          if (method === 'get' && !op.security) continue; // reads would need real dependencies to answer
          const res = await fetch(`${s.base}${path.replace(/\{[A-Za-z]+\}/g, 'x')}`, { method: method.toUpperCase(), headers: { 'content-type': 'application/json' }, body: method === 'get' ? undefined : '{}' });
          expect([method, path, res.status === 401]).toEqual([method, path, op.security !== undefined]);
          if (op.security) expect(Object.keys(op.responses)).toContain('401');
        }
      }
    } finally {
      await new Promise<void>((resolve) => s.server.close(() => resolve()));
    }
  });
});
