import type { Consumer, ConsumerConfig as KafkaConsumerOptions, EachMessageHandler, EachMessagePayload, Kafka } from 'kafkajs';
import type { Counter } from 'prom-client';
import { RetryLater, type Logger } from '@userforge/platform';
import type { ConsumerConfig } from '../config';

/** What every consumer group of this process shares. */
export interface GroupContext {
  kafka: Kafka;
  config: ConsumerConfig;
  logger: Logger;
  /** True once the process is stopping: a crash then is part of leaving, not a reason to exit. */
  isStopping: () => boolean;
  /** Called when a consumer dies for good; the process entry point exits so it is restarted. */
  onFatal: (err: unknown) => void;
  /** Messages held back (their partition paused) because a dependency said "retry later", by topic. */
  heldBack: Counter<'topic'>;
}

export type CommitOffset = (topic: string, partition: number, nextOffset: string) => Promise<void>;

export interface GroupOptions {
  /** How the logs name this member (`consumer`, `events consumer`). */
  name: string;
  consumer: KafkaConsumerOptions;
  topics: readonly string[];
  partitionsConsumedConcurrently?: number;
  /** The entry point for the group's messages; it commits each offset itself, once the outcome is durable. */
  handler: (commit: CommitOffset) => EachMessageHandler;
}

/** This process's member of one Kafka consumer group, with offsets committed by its handler only. */
export class ConsumerGroup {
  readonly name: string;
  private readonly consumer: Consumer;
  private member = false;
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private leaving = false;

  constructor(
    private readonly ctx: GroupContext,
    private readonly options: GroupOptions,
  ) {
    this.name = options.name;
    for (const topic of options.topics) ctx.heldBack.labels({ topic }).inc(0); // a series from the start, for alerts
    this.consumer = ctx.kafka.consumer(options.consumer);
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.member = true;
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      ctx.logger.error({ err: payload.error, restart: payload.restart }, `${this.name} crashed`);
      this.member = false;
      // kafkajs restarts itself after retriable errors; otherwise never linger as a silent zombie.
      if (!payload.restart && !ctx.isStopping()) ctx.onFatal(payload.error);
    });
  }

  /** The group has given this member its partitions (and it has not crashed since). */
  get joined(): boolean {
    return this.member;
  }

  async start(): Promise<void> {
    const { topics, partitionsConsumedConcurrently, handler } = this.options;
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...topics], fromBeginning: this.ctx.config.KAFKA_FROM_BEGINNING });
    const commit: CommitOffset = (topic, partition, offset) => this.consumer.commitOffsets([{ topic, partition, offset }]);
    const eachMessage = handler(commit);
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently,
      eachMessage: async (payload) => {
        try {
          await eachMessage(payload);
        } catch (err) {
          if (!(err instanceof RetryLater)) throw err;
          this.holdBack(payload, err);
        }
      },
    });
  }

  /**
   * A message whose dependency is not ready yet is neither a failure nor done: rewind the partition
   * to it and pause the partition for `afterMs`. Thrown to kafkajs instead, it would be retried a few
   * times at once and then crash and restart the whole consumer, over and over, until the dependency
   * is ready; this way one quiet partition waits and the others go on.
   */
  private holdBack({ topic, partition, message, pause }: EachMessagePayload, err: RetryLater): void {
    const resume = pause();
    this.consumer.seek({ topic, partition, offset: message.offset });
    this.ctx.heldBack.inc({ topic });
    this.ctx.logger.warn({ topic, partition, offset: message.offset, reason: err.message, retryInMs: err.afterMs }, `${this.name}: holding the partition back`);
    if (this.leaving) return; // the partition's next owner picks the message up
    const timer = setTimeout(() => {
      this.resumeTimers.delete(timer);
      resume();
    }, err.afterMs);
    this.resumeTimers.add(timer);
  }

  /**
   * Leaves the group. It waits for the messages in hand, but kafkajs no longer commits once
   * stopping: they are redone by the partition's next owner, which idempotency makes harmless.
   */
  async stop(): Promise<void> {
    this.leaving = true;
    for (const timer of this.resumeTimers) clearTimeout(timer);
    this.resumeTimers.clear();
    await this.consumer.disconnect().catch((err: unknown) => this.ctx.logger.warn({ err }, `${this.name} disconnect failed`));
  }
}
