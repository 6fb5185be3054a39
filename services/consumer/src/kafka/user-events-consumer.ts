import type { UserEventDeps } from '@userforge/users';
import { ConsumerGroup, type GroupContext } from './consumer-group';
import type { SendDeadLetter } from './dead-letter';
import { USER_EVENT_TOPICS, userEventsHandler } from './user-events.handler';

/** User events get their own group, so a queue of chunks never holds up activity or deletions. */
export function userEventsConsumer(ctx: GroupContext, deps: UserEventDeps, deadLetter: SendDeadLetter): ConsumerGroup {
  return new ConsumerGroup(ctx, {
    name: 'events consumer',
    consumer: { groupId: ctx.config.KAFKA_EVENTS_GROUP_ID, sessionTimeout: ctx.config.KAFKA_SESSION_TIMEOUT_MS },
    topics: USER_EVENT_TOPICS,
    handler: (commit) => userEventsHandler({ ...deps, deadLetter, commit, logger: ctx.logger }),
  });
}
