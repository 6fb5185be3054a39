import { z } from 'zod';
import { jobEventSchema, type PlatformEvent } from '@userforge/contracts';
import { jsonSchema } from './contract/openapi';
import { route, type RouteSpec } from './contract/route';
import type { EventHub } from '../event-hub';

/**
 * `GET /v1/events`: Server-Sent Events. A client first gets a snapshot (the active jobs), then every
 * change as it happens; EventSource reconnects by itself after the `retry` delay.
 */
/** One event of the stream as a parser sees it: a `job` event's `data` is a JSON JobEvent; `retry` sets the reconnect delay. */
const streamEvent = z.object({
  event: z.literal('job').optional(),
  data: z.string().meta({ contentMediaType: 'application/json', contentSchema: jsonSchema(jobEventSchema, 'output') }).optional(),
  id: z.string().optional(),
  retry: z.number().int().min(0).optional(),
});

export function eventsRoutes(hub: EventHub, snapshot: () => Promise<PlatformEvent[]>, heartbeatMs = 15_000): RouteSpec[] {
  const stream = route({
    method: 'get',
    path: '/v1/events',
    operationId: 'streamEvents',
    tag: 'events',
    summary: 'Server-Sent Events: a snapshot of active jobs, then every job change',
    description:
      'An event stream. Each `job` event (`event: job`) carries a JSON `{ "type": "job", "job": Job }` as its `data`; ' +
      'comment lines are heartbeats; `retry` sets the reconnect delay.',
    responses: { 200: { description: 'An event stream.', contentType: 'text/event-stream', schema: streamEvent } },
    errors: [],
    handle: async ({ req, res }) => {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        unsubscribe();
        stopOnClose();
        res.end();
      };
      const write = (text: string) => {
        if (ended) return;
        res.write(text);
        // A client that stopped reading is dropped rather than buffered without bound; on
        // reconnecting it gets a fresh snapshot.
        if (res.writableNeedDrain) end();
      };
      const send = (event: PlatformEvent) => write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      // Live events that arrive while the snapshot is read wait for it, so they are never followed by
      // an older snapshot row.
      let pending: PlatformEvent[] | null = [];
      const unsubscribe = hub.subscribe((event) => (pending ? pending.push(event) : send(event)));
      const stopOnClose = hub.onClose(end);
      const heartbeat = setInterval(() => write(': keep-alive\n\n'), heartbeatMs);
      req.on('close', end);
      write('retry: 2000\n\n');
      try {
        for (const event of await snapshot()) send(event);
      } catch {
        /* the live stream still works without the snapshot */
      }
      const queued = pending;
      pending = null;
      for (const event of queued) send(event);
      return 'streamed' as const;
    },
  });
  return [stream];
}
