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
  publish(topic: string, key: string, message: object): Promise<void>;
  invalidateListings(): Promise<void>;
  now?: () => Date;
}

/** A user id from a request, checked: 24 hexadecimal characters. */
export function parseUserId(raw: string): string {
  if (!isObjectIdHex(raw)) throw AppError.badRequest(`invalid id: '${raw.slice(0, 40)}' is not 24 hexadecimal characters`, undefined, 'invalid_id');
  return raw;
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
  try {
    await deps.users.insert(user);
  } catch (err) {
    if (err instanceof EmailTakenError) throw emailTaken(user.email);
    throw err;
  }
  await deps.tally.record(new TallyBuilder(1).add(user).build(`create:${user._id.toHexString()}`, now));
  await deps.publish(Topics.userCreatedSingle, user._id.toHexString(), { v: 1, userId: user._id.toHexString(), fields: Object.keys(request), at: now.toISOString() });
  return toUserView(user);
}

export async function updateUser(deps: UserDeps, rawId: string, request: UpdateUserRequest): Promise<UserView> {
  const id = parseUserId(rawId);
  const now = (deps.now ?? (() => new Date()))();
  const before = await existing(deps, id);
  const { birthDate, ...rest } = request;
  const changes: Partial<UserDocument> = { ...rest, updatedAt: now };
  if (birthDate !== undefined) changes.birthDate = new Date(`${birthDate}T00:00:00Z`);
  let after: UserDocument | null;
  try {
    after = await deps.users.update(id, changes);
  } catch (err) {
    if (err instanceof EmailTakenError) throw emailTaken(String(request.email));
    throw err;
  }
  if (!after) throw userNotFound(id);
  const move = moveDelta(
    `update:${rawId}:${now.getTime()}`,
    { gender: before.gender, country: before.address.country },
    { gender: after.gender, country: after.address.country },
    now,
  );
  if (move) await deps.tally.record(move);
  else await deps.invalidateListings();
  await deps.publish(Topics.userUpdatedSingle, rawId, { v: 1, userId: rawId, fields: Object.keys(request), at: now.toISOString() });
  return toUserView(after);
}

export async function deleteUser(deps: UserDeps, rawId: string): Promise<void> {
  const id = parseUserId(rawId);
  const now = (deps.now ?? (() => new Date()))();
  const user = await existing(deps, id);
  if (!(await deps.users.delete(id))) throw userNotFound(id);
  await deps.tally.record(new TallyBuilder(-1).add(user).build(`delete:${rawId}`, now));
  // The consumer removes the user's activity (and its share of the statistics) on this event.
  await deps.publish(Topics.userDeletedSingle, rawId, { v: 1, userId: rawId, at: now.toISOString() });
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
