import { buildOpenApiDocument } from '../src/http/openapi';

type Json = Record<string, unknown>;
interface Operation {
  operationId?: string;
  parameters?: { name: string; in: string; schema: Json }[];
  requestBody?: { content: Record<string, { schema: Json }> };
  security?: unknown[];
  deprecated?: boolean;
  responses: Record<string, Json>;
}

const doc = buildOpenApiDocument({ maxJobCount: 4321, version: '9.9.9' }) as {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
  components: Json;
};
const op = (path: string, method: string): Operation => {
  const found = doc.paths[path]?.[method];
  if (!found) throw new Error(`missing ${method.toUpperCase()} ${path}`);
  return found;
};

const ROUTES: [string, string][] = [
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['get', '/metrics'],
  ['get', '/openapi.json'],
  ['post', '/v1/jobs'],
  ['get', '/v1/jobs'],
  ['get', '/v1/jobs/{id}'],
  ['post', '/v1/jobs/{id}/cancel'],
  ['post', '/v1/generate/users/random/{count}'],
  ['get', '/v1/generate/users/random/{count}'],
  ['get', '/v1/events'],
  ['get', '/v1/users'],
  ['get', '/v1/user'],
  ['get', '/v1/users/{id}'],
  ['post', '/v1/users'],
  ['patch', '/v1/users/{id}'],
  ['delete', '/v1/users/{id}'],
  ['post', '/v1/users/{id}/activity'],
  ['get', '/v1/user/activity/{id}'],
  ['get', '/v1/users/{id}/activity'],
  ['get', '/v1/stats'],
];
const MUTATING = new Set(['post /v1/jobs', 'post /v1/jobs/{id}/cancel', 'post /v1/generate/users/random/{count}', 'get /v1/generate/users/random/{count}',
  'post /v1/users', 'patch /v1/users/{id}', 'delete /v1/users/{id}', 'post /v1/users/{id}/activity', 'get /v1/user/activity/{id}']);

/** Every `$ref` value anywhere in the document. */
function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refs(v, found));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') found.push(v);
      else refs(v, found);
    }
  }
  return found;
}

function resolve(pointer: string): unknown {
  if (!pointer.startsWith('#/')) return undefined;
  return pointer
    .slice(2)
    .split('/')
    .reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), doc);
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 with the given version', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.version).toBe('9.9.9');
  });

  it.each(ROUTES)('describes %s %s with an operationId and error responses', (method, path) => {
    const operation = op(path, method);
    expect(operation.operationId).toEqual(expect.any(String));
    if (path.startsWith('/v1')) expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['429', '503']));
    if (MUTATING.has(`${method} ${path}`)) {
      expect(operation.security).toEqual([{ apiKey: [] }]);
      expect(operation.responses['401']).toBeDefined();
    } else {
      expect(operation.security).toBeUndefined();
    }
  });

  it('gives every operation a unique operationId', () => {
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((o) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('takes the users list query parameters from the zod schema', () => {
    const params = op('/v1/users', 'get').parameters ?? [];
    expect(params.map((p) => p.name)).toEqual(['limit', 'page', 'after', 'sort', 'email', 'name', 'country', 'gender', 'search']);
    const limit = params.find((p) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } });
    expect(op('/v1/users', 'get').responses['200']).toMatchObject({ headers: { 'X-Cache': expect.anything() } });
  });

  it('bounds the job count by the configured maximum', () => {
    const schema = op('/v1/jobs', 'post').requestBody?.content['application/json']?.schema;
    expect(schema).toMatchObject({ type: 'object', required: ['count'], properties: { count: { type: 'integer', minimum: 1, maximum: 4321 } } });
    expect(op('/v1/jobs', 'post').responses['415']).toBeDefined();
  });

  it('marks the legacy GET generation route deprecated', () => {
    expect(op('/v1/generate/users/random/{count}', 'get').deprecated).toBe(true);
    expect(op('/v1/generate/users/random/{count}', 'post').deprecated).toBeUndefined();
  });

  it('resolves every $ref to a component', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(0);
    for (const pointer of all) {
      expect(pointer).toMatch(/^#\/components\//);
      expect([pointer, resolve(pointer)]).toEqual([pointer, expect.anything()]);
    }
  });
});
