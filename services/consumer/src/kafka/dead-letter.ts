import type { KafkaMessage, Producer } from 'kafkajs';
import type { Counter } from 'prom-client';
import { Topics, encodeMessage, type DeadLetter } from '@userforge/contracts';

export type DeadLetterTopic = typeof Topics.userCreateBulkDlq | typeof Topics.userEventsDlq;

/** Sends a letter, keyed like the message it holds. */
export type SendDeadLetter = (letter: DeadLetter) => Promise<void>;

/** The letter for a message that can never succeed: why, and the message as received for inspection and replay. */
export function deadLetterOf(topic: string, partition: number, message: KafkaMessage, reason: string, error: string): DeadLetter {
  return {
    v: 1,
    reason,
    error,
    source: { topic, partition, offset: message.offset, key: message.key?.toString() ?? null },
    value: message.value?.toString() ?? '',
    failedAt: new Date().toISOString(),
  };
}

/**
 * Acknowledged by every in-sync replica before it resolves: the message's offset is committed only
 * after. Counted per topic; the series exists at 0 from the start, so an alert on its increase sees
 * the very first letter.
 */
export function deadLetterSender(producer: Producer, topic: DeadLetterTopic, counter: Counter<'topic'>): SendDeadLetter {
  const sent = counter.labels({ topic });
  sent.inc(0);
  return async (letter) => {
    await producer.send({ topic, acks: -1, messages: [{ key: letter.source.key, value: encodeMessage(topic, letter) }] });
    sent.inc();
  };
}
