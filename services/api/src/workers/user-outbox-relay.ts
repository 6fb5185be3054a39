import { Counter, Gauge, type Registry } from 'prom-client';
import { ContractError, encodeMessage } from '@userforge/contracts';
import { METRIC_PREFIX, backoffMs, type Logger, type Worker } from '@userforge/platform';
import { STALE_PENDING_MS, planRelay, resolveStale, usersToCheck, type OutboxEvent, type UserOutboxRepository } from '@userforge/users';

/** One Kafka message; the key is the user id, so a user's events share a partition and keep their order. */
export interface OutgoingEvent {
  topic: string;
  key: string;
  value: string;
}

export interface OutboxRelayDeps {
  outbox: Pick<UserOutboxRepository, 'oldest' | 'remove' | 'add' | 'count'>;
  users: { findById(id: string): Promise<unknown> };
  /** Resolves once Kafka acknowledged every message (acks from all in-sync replicas). */
  send(messages: OutgoingEvent[]): Promise<void>;
  registry: Registry;
  logger: Logger;
  batchSize?: number;
  staleMs?: number;
  /** How often it looks without a nudge: events left by other API instances, stale pending ones. */
  pollMs?: number;
  backoff?: { minMs: number; maxMs: number };
  /** How long `stop` waits for a batch in flight before leaving it (its events stay for the next start). */
  stopGraceMs?: number;
}

/**
 * The `user-outbox-relay` worker publishes the events of created, updated and deleted users from the
 * outbox to Kafka, oldest first, and deletes them once Kafka acknowledged them: at least once, in
 * order per user. It wakes at once when nudged, polls otherwise, and backs off while Kafka fails
 * (nudges then wait for the backoff, so an outage is never a busy loop).
 */
export class UserOutboxRelay implements Worker {
  readonly name = 'user-outbox-relay';
  private readonly batchSize: number;
  private readonly staleMs: number;
  private readonly pollMs: number;
  private readonly backoff: { minMs: number; maxMs: number };
  private readonly published: Counter;
  private stopping = false;
  private loop: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private nudged = false;
  private failures = 0;

  constructor(private readonly deps: OutboxRelayDeps) {
    this.batchSize = deps.batchSize ?? 200;
    this.staleMs = deps.staleMs ?? STALE_PENDING_MS;
    this.pollMs = deps.pollMs ?? 5_000;
    this.backoff = deps.backoff ?? { minMs: 500, maxMs: 10_000 };
    const registers = [deps.registry];
    this.published = new Counter({
      name: `${METRIC_PREFIX}outbox_published_total`,
      help: 'Events of created, updated and deleted users published to Kafka by the outbox relay (a resent batch counts again).',
      registers,
    });
    const { outbox } = deps;
    new Gauge({
      name: `${METRIC_PREFIX}outbox_pending_events`,
      help: 'Events of created, updated and deleted users waiting in the outbox (not yet acknowledged by Kafka).',
      registers,
      async collect() {
        this.set(await outbox.count().catch(() => NaN));
      },
    });
  }

  /** An event is ready: publish now rather than at the next poll. */
  readonly nudge = (): void => {
    this.nudged = true;
    if (this.failures === 0) this.wake?.();
  };

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.deps.stopGraceMs ?? 5_000)));
    await Promise.race([this.loop, grace]);
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    const { logger } = this.deps;
    while (!this.stopping) {
      this.nudged = false;
      let waitMs = this.pollMs;
      try {
        const more = await this.pass();
        if (this.failures) logger.info({ failures: this.failures }, 'user events flow to Kafka again');
        this.failures = 0;
        if (more || this.nudged) waitMs = 0;
      } catch (err) {
        if (this.stopping) break;
        this.failures++;
        waitMs = backoffMs(this.failures, this.backoff);
        logger.warn({ err, failures: this.failures, retryInMs: waitMs }, 'publishing user events failed; they wait in the outbox');
      }
      if (waitMs > 0 && !this.stopping) await this.sleep(waitMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** One batch: gather, decide (pure), then publish and delete. True if more may be waiting. */
  private async pass(): Promise<boolean> {
    const { outbox, users, logger } = this.deps;
    const events = await outbox.oldest(this.batchSize);
    if (!events.length) return false;
    const now = new Date();
    const existing = new Set<string>();
    for (const userId of usersToCheck(events, now, this.staleMs)) if ((await users.findById(userId)) !== null) existing.add(userId);
    const plan = planRelay(events, now, existing, this.staleMs);

    const messages: OutgoingEvent[] = [];
    const sent: string[] = [];
    const invalid: string[] = [];
    for (const event of plan.publish) {
      try {
        messages.push({ topic: event.topic, key: event.userId, value: encodeMessage(event.topic, event.message as never) });
        sent.push(event.id);
      } catch (err) {
        if (!(err instanceof ContractError)) throw err;
        logger.error({ err, eventId: event.id, topic: event.topic }, 'dropping a user event that breaks its contract');
        invalid.push(event.id);
      }
    }
    if (messages.length) {
      await this.deps.send(messages);
      await outbox.remove(sent);
      this.published.inc(messages.length);
    }
    await outbox.remove(invalid);
    for (const event of plan.discard) await this.discard(event);
    return events.length === this.batchSize && plan.publish.length + plan.discard.length > 0;
  }

  private async discard(event: OutboxEvent): Promise<void> {
    await this.deps.outbox.remove([event.id]);
    // A request that stalled past the stale limit may have written its change meanwhile. Decided again
    // after the removal: either this sees the change, or the request finds its event gone and adds it
    // again (see `announce`), so the event is published at least once.
    const exists = (await this.deps.users.findById(event.userId)) !== null;
    if (resolveStale(event.topic, exists) === 'publish') await this.deps.outbox.add(event, 'ready');
    else this.deps.logger.info({ eventId: event.id, topic: event.topic, userId: event.userId }, 'discarded the event of a change that never happened');
  }
}
