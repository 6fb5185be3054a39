import type { EachMessagePayload } from 'kafkajs';
import { Topics, decodeMessage, type DeadLetter } from '@userforge/contracts';
import type { Logger } from '@userforge/platform';
import { forgetDeletedUser, recordActivity, type UserEventDeps } from '../domain/user-events';

export interface UserEventsHandlerDeps extends UserEventDeps {
  deadLetter(letter: DeadLetter, key: string | null): Promise<void>;
  commit(topic: string, partition: number, offset: string): Promise<void>;
  logger: Logger;
}

export const USER_EVENT_TOPICS = [Topics.userActivityCreate, Topics.userDeletedSingle] as const;

/**
 * Validates first; a message that can never succeed is dead-lettered and committed. A failure while
 * storing is thrown, so kafkajs retries the message and nothing is committed before it is durable.
 */
export function userEventsHandler(deps: UserEventsHandlerDeps) {
  return async ({ topic, partition, message }: EachMessagePayload): Promise<void> => {
    const next = (BigInt(message.offset) + 1n).toString();
    const key = message.key?.toString() ?? null;
    const decoded =
      topic === Topics.userActivityCreate
        ? decodeMessage(Topics.userActivityCreate, message.value)
        : topic === Topics.userDeletedSingle
          ? decodeMessage(Topics.userDeletedSingle, message.value)
          : ({ ok: false, reason: `unexpected topic ${topic}` } as const);
    if (!decoded.ok) {
      deps.logger.warn({ topic, partition, offset: message.offset, reason: decoded.reason }, 'dead-lettering user event');
      await deps.deadLetter(
        {
          v: 1,
          reason: decoded.reason,
          error: decoded.reason,
          source: { topic, partition, offset: message.offset, key },
          value: message.value?.toString() ?? '',
          failedAt: new Date().toISOString(),
        },
        key,
      );
    } else if (topic === Topics.userActivityCreate) {
      await recordActivity(deps, decoded.message as Parameters<typeof recordActivity>[1]);
    } else {
      await forgetDeletedUser(deps, decoded.message as Parameters<typeof forgetDeletedUser>[1]);
    }
    await deps.commit(topic, partition, next);
  };
}
