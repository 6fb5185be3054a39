import { Topics } from '@userforge/contracts';
import { outboxId } from '../src/data/user-outbox.repository';
import { STALE_PENDING_MS, nextEventTime, planRelay, resolveStale, usersToCheck, type OutboxEvent, type OutboxState } from '../src/domain/user-outbox';

const NOW = new Date('2025-01-01T12:00:00Z');
let n = 0;

/** An outbox event; `ageMs` is how long ago its request stored it. */
function anEvent(userId: string, topic: OutboxEvent['topic'], state: OutboxState, ageMs = 0): OutboxEvent {
  const at = new Date(NOW.getTime() - ageMs);
  return { id: `e${String(++n).padStart(3, '0')}`, userId, topic, state, at, message: { v: 1, userId, at: at.toISOString() } };
}
const STALE = STALE_PENDING_MS + 1;
const ids = (events: OutboxEvent[]) => events.map((e) => e.id);

describe('user outbox decisions (pure)', () => {
  it.each([
    [Topics.userCreatedSingle, true, 'publish'],
    [Topics.userCreatedSingle, false, 'discard'],
    [Topics.userDeletedSingle, true, 'discard'],
    [Topics.userDeletedSingle, false, 'publish'],
    [Topics.userUpdatedSingle, true, 'publish'],
    [Topics.userUpdatedSingle, false, 'publish'],
    ['user.unknown', true, 'discard'],
  ])('a stale pending %s event, user exists: %s → %s', (topic, exists, decision) => {
    expect(resolveStale(topic, exists)).toBe(decision);
  });

  it('publishes ready events in write order', () => {
    const events = [anEvent('a', Topics.userCreatedSingle, 'ready'), anEvent('b', Topics.userCreatedSingle, 'ready'), anEvent('a', Topics.userUpdatedSingle, 'ready')];
    expect(planRelay(events, NOW, new Set())).toEqual({ publish: events, discard: [], held: 0 });
  });

  it("holds a user's later events behind one whose request is still writing, and only that user's", () => {
    const inFlight = anEvent('a', Topics.userUpdatedSingle, 'pending', 1_000);
    const later = anEvent('a', Topics.userDeletedSingle, 'ready');
    const other = anEvent('b', Topics.userUpdatedSingle, 'ready');
    const plan = planRelay([inFlight, later, other], NOW, new Set());
    expect(ids(plan.publish)).toEqual([other.id]);
    expect(plan.discard).toEqual([]);
    expect(plan.held).toBe(2);
  });

  it('resolves stale pending events from whether the user exists, and they hold nothing back', () => {
    const createdDone = anEvent('made', Topics.userCreatedSingle, 'pending', STALE);
    const createdNever = anEvent('ghost', Topics.userCreatedSingle, 'pending', STALE);
    const deletedDone = anEvent('gone', Topics.userDeletedSingle, 'pending', STALE);
    const deletedNever = anEvent('kept', Topics.userDeletedSingle, 'pending', STALE);
    const updated = anEvent('kept', Topics.userUpdatedSingle, 'pending', STALE);
    const afterIt = anEvent('ghost', Topics.userUpdatedSingle, 'ready');
    const events = [createdDone, createdNever, deletedDone, deletedNever, updated, afterIt];
    expect(usersToCheck(events, NOW).sort()).toEqual(['ghost', 'gone', 'kept', 'made']);
    const plan = planRelay(events, NOW, new Set(['made', 'kept']));
    expect(ids(plan.publish)).toEqual([createdDone.id, deletedDone.id, updated.id, afterIt.id]);
    expect(ids(plan.discard)).toEqual([createdNever.id, deletedNever.id]);
    expect(plan.held).toBe(0);
  });

  it('leaves a pending event alone until it is stale', () => {
    const young = anEvent('a', Topics.userCreatedSingle, 'pending', STALE_PENDING_MS - 1_000);
    expect(usersToCheck([young], NOW)).toEqual([]);
    expect(planRelay([young], NOW, new Set())).toEqual({ publish: [], discard: [], held: 1 });
  });

  it("dates a user's next event after its last change, even one from a clock ahead of ours", () => {
    expect(nextEventTime(NOW, new Date(NOW.getTime() - 5))).toEqual(NOW);
    expect(nextEventTime(NOW, new Date(NOW.getTime() + 5_000))).toEqual(new Date(NOW.getTime() + 5_001));
    expect(nextEventTime(NOW, undefined)).toEqual(NOW);
  });

  it('makes fixed-width ids whose string order is write order, even when times arrive out of order', () => {
    const t = NOW.getTime();
    const made = [outboxId(t), outboxId(t), outboxId(t - 10), outboxId(t + 1), outboxId(t + 1_000)];
    expect(new Set(made.map((id) => id.length))).toEqual(new Set([26]));
    expect(made.every((id) => /^[0-9a-f]+$/.test(id))).toBe(true);
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
  });
});
