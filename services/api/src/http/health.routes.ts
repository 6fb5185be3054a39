import { Router } from 'express';

export type Check = () => Promise<void>;

/**
 * Liveness says the process serves HTTP; readiness says its dependencies answer, so Kubernetes
 * takes a pod out of the Service while MongoDB or Redis is unreachable instead of restarting it.
 */
export function healthRoutes(checks: Record<string, Check>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
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
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks: Object.fromEntries(results) });
  });
  return router;
}
