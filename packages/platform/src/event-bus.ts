import type { Redis } from './redis';

export const EVENTS_CHANNEL = 'userforge:events';

/**
 * Live events between processes over Redis pub/sub: consumers and publishers announce job progress,
 * every API instance relays it to its Server-Sent Events clients. Events are notifications, not
 * the record: MongoDB holds the truth, so a lost event costs freshness, never correctness.
 */
export async function publishEvent<T>(redis: Redis, event: T): Promise<void> {
  await redis.publish(EVENTS_CHANNEL, JSON.stringify(event));
}

/** Publishes if Redis is connected; a lost notification is fine (see above). True if sent. */
export function tryPublishEvent<T>(redis: Redis | undefined, event: T, onFailure: () => void = () => undefined): boolean {
  if (redis?.status !== 'ready') return false;
  publishEvent(redis, event).catch(onFailure);
  return true;
}

/** Subscribes on a dedicated connection (a subscribed Redis connection can do nothing else). */
export async function subscribeEvents<T>(subscriber: Redis, onEvent: (event: T) => void): Promise<void> {
  subscriber.on('message', (channel: string, text: string) => {
    if (channel !== EVENTS_CHANNEL) return;
    try {
      onEvent(JSON.parse(text) as T);
    } catch {
      /* a malformed notification is dropped; the next one carries the full state again */
    }
  });
  await subscriber.subscribe(EVENTS_CHANNEL);
}
