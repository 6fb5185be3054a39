import type { PlatformEvent } from '@userforge/contracts';
import { createRedis, subscribeEvents, tryPublishEvent, type Logger, type Redis, type Worker } from '@userforge/platform';
import type { EventHub } from '../event-hub';

/**
 * The `event-relay` worker: platform events from every process (consumers, publishers, other API
 * instances) reach this instance's Server-Sent Events clients through Redis pub/sub, and `announce`
 * sends this instance's own events the same way — straight to local clients while Redis is down.
 */
export class EventRelay implements Worker {
  readonly name = 'event-relay';
  private readonly subscriber: Redis;

  constructor(
    private readonly hub: EventHub,
    private readonly redis: Redis,
    redisUrl: string,
    private readonly logger: Logger,
  ) {
    this.subscriber = createRedis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber.on('error', () => undefined); // readiness reports Redis; it reconnects by itself
  }

  start(): void {
    // Not awaited: with Redis down the subscription waits in the client's queue and is made (and
    // renewed after every reconnect) by ioredis; the API serves meanwhile.
    this.subscriber.connect().catch(() => undefined);
    subscribeEvents<PlatformEvent>(this.subscriber, (event) => this.hub.emit(event)).catch((err: unknown) =>
      this.logger.warn({ err }, 'event subscription failed; live events from other processes paused'),
    );
  }

  readonly announce = (event: PlatformEvent): void => {
    if (this.subscriber.status !== 'ready' || !tryPublishEvent(this.redis, event, () => this.hub.emit(event))) this.hub.emit(event);
  };

  stop(): void {
    this.subscriber.disconnect();
  }
}
