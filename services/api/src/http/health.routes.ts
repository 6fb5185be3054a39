import { healthSchema, readinessSchema } from '@userforge/contracts';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { route, type RouteSpec } from './contract/route';

export type Check = () => Promise<void>;

/**
 * Liveness says the process serves HTTP; readiness says its dependencies answer, so Kubernetes
 * takes a pod out of the Service while MongoDB or Redis is unreachable instead of restarting it.
 * Also the Prometheus metrics and this API's OpenAPI document.
 */
export function healthRoutes(checks: Record<string, Check>, registry: Registry, document: () => object): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/healthz',
      operationId: 'getLiveness',
      tag: 'health',
      summary: 'Liveness: the process serves HTTP',
      responses: { 200: { description: 'Alive.', schema: healthSchema } },
      errors: [],
      handle: () => ({ status: 200, body: { status: 'ok' } }),
    }),
    route({
      method: 'get',
      path: '/readyz',
      operationId: 'getReadiness',
      tag: 'health',
      summary: 'Readiness: the dependencies answer',
      responses: { 200: { description: 'Ready.', schema: readinessSchema }, 503: { description: 'A dependency is down.', schema: readinessSchema } },
      errors: [],
      handle: async () => {
        const results = await Promise.all(
          Object.entries(checks).map(async ([name, check]) => {
            try {
              await check();
              return [name, 'ok'] as const;
            } catch (err) {
              return [name, `down: ${(err as Error).message}`] as const;
            }
          }),
        );
        const ready = results.every(([, status]) => status === 'ok');
        return { status: ready ? 200 : 503, body: { status: ready ? 'ok' : 'unavailable', checks: Object.fromEntries(results) } };
      },
    }),
    route({
      method: 'get',
      path: '/metrics',
      operationId: 'getMetrics',
      tag: 'health',
      summary: 'Prometheus metrics',
      responses: { 200: { description: 'Prometheus text exposition format.', contentType: 'text/plain', schema: z.string() } },
      errors: [],
      handle: async ({ res }) => {
        res.setHeader('Content-Type', registry.contentType);
        res.end(await registry.metrics());
        return 'streamed' as const;
      },
    }),
    route({
      method: 'get',
      path: '/openapi.json',
      operationId: 'getOpenApiDocument',
      tag: 'health',
      summary: 'This document',
      responses: { 200: { description: 'OpenAPI 3.1 document.', schema: z.record(z.string(), z.unknown()) } },
      errors: [],
      handle: () => ({ status: 200, body: document() }),
    }),
  ];
}
