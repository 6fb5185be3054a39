import type { EachMessagePayload } from 'kafkajs';
import { Topics, decodeMessage } from '@userforge/contracts';
import type { Logger } from '@userforge/platform';
import { forgetDeletedUser, storeActivity, type UserEventDeps } from '@userforge/users';
import { deadLetterOf, type SendDeadLetter } from './dead-letter';

export interface UserEventsHandlerDeps extends UserEventDeps {
  deadLetter: SendDeadLetter;
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
    const invalid = await store(deps, topic, message.value);
    if (invalid !== undefined) {
      deps.logger.warn({ topic, partition, offset: message.offset, reason: invalid }, 'dead-lettering user event');
      await deps.deadLetter(deadLetterOf(topic, partition, message, invalid, invalid));
    }
    await deps.commit(topic, partition, next);
  };
}

/** Decodes the event and stores its effect; returns why it never can when the message is invalid. */
async function store(deps: UserEventDeps, topic: string, value: Buffer | null): Promise<string | undefined> {
  if (topic === Topics.userActivityCreate) {
    const decoded = decodeMessage(Topics.userActivityCreate, value);
    if (!decoded.ok) return decoded.reason;
    await storeActivity(deps, decoded.message);
  } else if (topic === Topics.userDeletedSingle) {
    const decoded = decodeMessage(Topics.userDeletedSingle, value);
    if (!decoded.ok) return decoded.reason;
    await forgetDeletedUser(deps, decoded.message);
  } else {
    return `unexpected topic ${topic}`;
  }
  return undefined;
}
