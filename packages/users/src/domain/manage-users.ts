import {
  Topics,
  isObjectIdHex,
  type ActivityView,
  type CreateUserRequest,
  type StatsView,
  type UpdateUserRequest,
  type UserView,
} from '@userforge/contracts';
import { AppError, newObjectIdHex } from '@userforge/platform';
import type { UserDocument } from '../data/user';
import { userIdFor } from '../data/user-id';
import { toActivityView, type Activity } from './activity';
import { ranked } from './ranked';
import { TallyBuilder, moveDelta, type TallyDelta, type TallySnapshot } from './tally';
import { EmailTakenError, emailTaken, userNotFound } from './user-errors';
import { nextEventTime, type UserEvent, type UserOutbox } from './user-outbox';
import { toUserView } from './user-view';

export interface UserDeps {
  users: {
    findById(id: string): Promise<UserDocument | null>;
    insert(user: UserDocument): Promise<void>;
    update(id: string, changes: Partial<UserDocument>): Promise<UserDocument | null>;
    delete(id: string): Promise<boolean>;
  };
  /** Where changes to the user counts are recorded (the tally repository). */
  tally: { record(delta: TallyDelta): Promise<unknown> };
  /** Where the user counts are read (the tally reader, which falls back to MongoDB without Redis). */
  counts: { snapshot(): Promise<TallySnapshot> };
  /** Hands out global user sequence numbers (the job repository). */
  sequence: { reserveSequence(count: number): Promise<number> };
  activities: {
    ofUser(userId: string, limit: number): Promise<Activity[]>;
    stats(now: Date): Promise<Omit<StatsView, 'totalUsers' | 'countries' | 'topCountries' | 'genders' | 'computedAt'>>;
  };
  /** Where the events announcing created, updated and deleted users wait for the relay. */
  outbox: UserOutbox;
  /** Wakes the relay when an event is ready (it also polls). */
  relay: { nudge(): void };
  /** Straight to Kafka: activity only, which writes nothing to the database to keep in step with. */
  publish(topic: string, key: string, message: object): Promise<void>;
  invalidateListings(): Promise<void>;
  now?: () => Date;
}

/** A user id from a request, checked: 24 hexadecimal characters. */
export function parseUserId(raw: string): string {
  if (!isObjectIdHex(raw)) throw AppError.badRequest(`invalid id: '${raw.slice(0, 40)}' is not 24 hexadecimal characters`, undefined, 'invalid_id');
  return raw;
}

/**
 * The event is stored first (write-ahead) and made ready once the change is written, so a change is
 * never without its event, whatever fails in between (see `resolveStale` for a request that dies).
 */
async function announce(deps: UserDeps, eventId: string, event: UserEvent): Promise<void> {
  // Gone only if this request stalled past the stale limit and the relay already resolved it: again.
  if (!(await deps.outbox.markReady(eventId))) await deps.outbox.add(event, 'ready');
  deps.relay.nudge();
}

async function existing(deps: UserDeps, id: string): Promise<UserDocument> {
  const user = await deps.users.findById(id);
  if (!user) throw userNotFound(id);
  return user;
}

export async function getUser(deps: UserDeps, rawId: string): Promise<UserView> {
  return toUserView(await existing(deps, parseUserId(rawId)));
}

export async function createUser(deps: UserDeps, request: CreateUserRequest): Promise<UserView> {
  const now = (deps.now ?? (() => new Date()))();
  const seq = await deps.sequence.reserveSequence(1);
  const user: UserDocument = {
    _id: userIdFor(Math.floor(now.getTime() / 1000), seq),
    seq,
    jobId: null,
    name: request.name,
    email: request.email,
    username: request.username,
    phone: request.phone,
    gender: request.gender,
    birthDate: new Date(`${request.birthDate}T00:00:00Z`),
    avatar: request.avatar ?? '',
    address: request.address,
    company: request.company ?? '',
    jobTitle: request.jobTitle ?? '',
    createdAt: now,
    updatedAt: now,
    lastActive: now,
  };
  const userId = user._id.toHexString();
  const event: UserEvent = { userId, topic: Topics.userCreatedSingle, message: { v: 1, userId, fields: Object.keys(request), at: now.toISOString() }, at: now };
  const eventId = await deps.outbox.add(event);
  try {
    await deps.users.insert(user);
  } catch (err) {
    if (err instanceof EmailTakenError) {
      await deps.outbox.discard(eventId);
      throw emailTaken(user.email);
    }
    throw err;
  }
  await deps.tally.record(new TallyBuilder(1).add(user).build(`create:${userId}`, now));
  await announce(deps, eventId, event);
  return toUserView(user);
}

export async function updateUser(deps: UserDeps, rawId: string, request: UpdateUserRequest): Promise<UserView> {
  const id = parseUserId(rawId);
  const now = (deps.now ?? (() => new Date()))();
  const before = await existing(deps, id);
  // updatedAt carries the event's time, so the user's next event (from any process) sorts after it.
  const at = nextEventTime(now, before.updatedAt);
  const { birthDate, ...rest } = request;
  const changes: Partial<UserDocument> = { ...rest, updatedAt: at };
  if (birthDate !== undefined) changes.birthDate = new Date(`${birthDate}T00:00:00Z`);
  const event: UserEvent = { userId: id, topic: Topics.userUpdatedSingle, message: { v: 1, userId: rawId, fields: Object.keys(request), at: now.toISOString() }, at };
  const eventId = await deps.outbox.add(event);
  let after: UserDocument | null;
  try {
    after = await deps.users.update(id, changes);
  } catch (err) {
    if (err instanceof EmailTakenError) {
      await deps.outbox.discard(eventId);
      throw emailTaken(String(request.email));
    }
    throw err;
  }
  if (!after) {
    await deps.outbox.discard(eventId);
    throw userNotFound(id);
  }
  const move = moveDelta(
    `update:${rawId}:${now.getTime()}`,
    { gender: before.gender, country: before.address.country },
    { gender: after.gender, country: after.address.country },
    now,
  );
  if (move) await deps.tally.record(move);
  else await deps.invalidateListings();
  await announce(deps, eventId, event);
  return toUserView(after);
}

export async function deleteUser(deps: UserDeps, rawId: string): Promise<void> {
  const id = parseUserId(rawId);
  const now = (deps.now ?? (() => new Date()))();
  const user = await existing(deps, id);
  // The consumer removes the user's activity (and its share of the statistics) on this event.
  const event: UserEvent = { userId: id, topic: Topics.userDeletedSingle, message: { v: 1, userId: rawId, at: now.toISOString() }, at: nextEventTime(now, user.updatedAt) };
  // "Mark deleted with a pending event, remove once the event is out" needs the mark and the event in
  // one atomic write; the stored event alone is that write. It is durable before the user goes, and if
  // this request dies in between, the relay reads the outcome from the user document (still there: no
  // deletion, the event is dropped; gone: published). So the user goes at once — no mark field for
  // every read to filter, no update of the user document — and the consumer's cleanup still follows
  // the event.
  const eventId = await deps.outbox.add(event);
  if (!(await deps.users.delete(id))) {
    await deps.outbox.discard(eventId);
    throw userNotFound(id);
  }
  await deps.tally.record(new TallyBuilder(-1).add(user).build(`delete:${rawId}`, now));
  await announce(deps, eventId, event);
}

export async function recordActivity(deps: UserDeps, rawId: string, type: string, userAgent: string): Promise<Pick<ActivityView, 'id' | 'userId' | 'type' | 'at'>> {
  const id = parseUserId(rawId);
  await existing(deps, id);
  const activity = { id: newObjectIdHex(), userId: rawId, type, at: (deps.now ?? (() => new Date()))().toISOString() };
  await deps.publish(Topics.userActivityCreate, rawId, { v: 1, activityId: activity.id, userId: rawId, type, at: activity.at, userAgent: userAgent.slice(0, 1000) });
  return activity;
}

export async function listActivity(deps: UserDeps, rawId: string, limit: number): Promise<{ data: ActivityView[] }> {
  const id = parseUserId(rawId);
  await existing(deps, id);
  return { data: (await deps.activities.ofUser(id, limit)).map(toActivityView) };
}

export async function statistics(deps: UserDeps): Promise<StatsView> {
  const now = (deps.now ?? (() => new Date()))();
  const [tally, activity] = await Promise.all([deps.counts.snapshot(), deps.activities.stats(now)]);
  return {
    totalUsers: tally.users,
    countries: [...tally.countries.values()].filter((n) => n > 0).length,
    topCountries: ranked(tally.countries, 15),
    genders: ranked(tally.genders),
    ...activity,
    computedAt: now.toISOString(),
  };
}
