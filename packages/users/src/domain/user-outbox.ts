import { Topics, type UserChangedMessage, type UserDeletedMessage } from '@userforge/contracts';

/**
 * The user outbox: each event announcing a change to a user is stored (as `pending`) before the
 * change is written, marked `ready` once it is, and published to Kafka by the relay, which deletes
 * it after Kafka acknowledged it. A request that dies half-way leaves a `pending` event that the
 * relay resolves by looking at the user. At least once, in order per user.
 */

export type UserEventTopic = typeof Topics.userCreatedSingle | typeof Topics.userUpdatedSingle | typeof Topics.userDeletedSingle;
export type OutboxState = 'pending' | 'ready';

export interface UserEvent {
  userId: string;
  topic: UserEventTopic;
  message: UserChangedMessage | UserDeletedMessage;
  /** When the change was made; it orders the user's events and dates a pending event. */
  at: Date;
}

export interface OutboxEvent extends UserEvent {
  /** Sorting by id is write order. */
  id: string;
  state: OutboxState;
}

/** Where requests put their events (the outbox repository). */
export interface UserOutbox {
  /** Stores the event before the change it announces; returns its id. */
  add(event: UserEvent, state?: OutboxState): Promise<string>;
  /** The change is written: the relay may publish it. False when the event is no longer there. */
  markReady(id: string): Promise<boolean>;
  /** The change was refused (404, 409): its event goes. */
  discard(id: string): Promise<void>;
}

/** A pending event older than this belongs to a request that died (or stalled) half-way. */
export const STALE_PENDING_MS = 60_000;

/**
 * The time to give a user's next event: after the user's last change even when that change came
 * from a process whose clock is ahead, so sorting by time keeps a user's events in order.
 */
export function nextEventTime(now: Date, lastChange: Date | undefined): Date {
  return lastChange && lastChange.getTime() >= now.getTime() ? new Date(lastChange.getTime() + 1) : now;
}

/**
 * What becomes of a stale pending event, from whether its user exists now: a creation happened if
 * the user is there, a deletion if it is gone; an update is announced either way (a notification
 * that names changed fields, harmless if they did not change).
 */
export function resolveStale(topic: string, userExists: boolean): 'publish' | 'discard' {
  switch (topic) {
    case Topics.userCreatedSingle:
      return userExists ? 'publish' : 'discard';
    case Topics.userDeletedSingle:
      return userExists ? 'discard' : 'publish';
    case Topics.userUpdatedSingle:
      return 'publish';
    default:
      return 'discard';
  }
}

const isStale = (event: OutboxEvent, now: Date, staleMs: number) => now.getTime() - event.at.getTime() >= staleMs;

/** Users whose stale pending events are in `events` (oldest first): the relay checks whether each exists. */
export function usersToCheck(events: readonly OutboxEvent[], now: Date, staleMs = STALE_PENDING_MS): string[] {
  return [...new Set(events.filter((e) => e.state === 'pending' && isStale(e, now, staleMs)).map((e) => e.userId))];
}

export interface RelayPlan {
  /** In write order. */
  publish: OutboxEvent[];
  discard: OutboxEvent[];
  /** Events left for a later pass: a request still writing, and its user's later events behind it. */
  held: number;
}

/**
 * One pass of the relay over the oldest events (in write order): `ready` events are published, stale
 * `pending` ones resolved, and a fresh `pending` event (its request is still at work) holds back its
 * user's later events so they never overtake it.
 */
export function planRelay(events: readonly OutboxEvent[], now: Date, existingUsers: ReadonlySet<string>, staleMs = STALE_PENDING_MS): RelayPlan {
  const plan: RelayPlan = { publish: [], discard: [], held: 0 };
  const waiting = new Set<string>();
  for (const event of events) {
    if (waiting.has(event.userId)) plan.held++;
    else if (event.state === 'ready') plan.publish.push(event);
    else if (isStale(event, now, staleMs)) plan[resolveStale(event.topic, existingUsers.has(event.userId))].push(event);
    else {
      waiting.add(event.userId);
      plan.held++;
    }
  }
  return plan;
}
