import { Router } from 'express';
import type { PlatformEvent } from '@userforge/contracts';
import type { EventHub } from '../events';

/**
 * `GET /v1/events`: Server-Sent Events. A client first gets a snapshot (the active jobs), then every
 * change as it happens; EventSource reconnects by itself after the `retry` delay.
 */
export function eventsRoutes(hub: EventHub, snapshot: () => Promise<PlatformEvent[]>, heartbeatMs = 15_000): Router {
  const router = Router();
  router.get('/v1/events', async (req, res) => {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    const send = (event: PlatformEvent) => res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    res.write('retry: 2000\n\n');
    const unsubscribe = hub.subscribe(send);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
    req.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
    try {
      for (const event of await snapshot()) send(event);
    } catch {
      /* the live stream still works without the snapshot */
    }
  });
  return router;
}
