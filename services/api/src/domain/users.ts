import { ObjectId } from 'mongodb';
import {
  Topics,
  type ActivityView,
  type CreateUserRequest,
  type StatsView,
  type UpdateUserRequest,
  type UserView,
} from '@userforge/contracts';
import { AppError } from '@userforge/platform';
import {
  TallyBuilder,
  moveDelta,
  ranked,
  toActivityView,
  userIdFor,
  type ActivityDocument,
  type TallyDelta,
  type TallySnapshot,
  type UserDocument,
} from '@userforge/users';
import { EmailTakenError, type UserRepository } from '../data/user.repository';
import { toUserView } from './user-view';

export interface UserDeps {
  users: Pick<UserRepository, 'findById' | 'insert' | 'update' | 'delete'>;
  tally: { record(delta: TallyDelta): Promise<unknown>; snapshot(): Promise<TallySnapshot> };
  sequence: { reserve(count: number): Promise<number> };
  activities: {
    ofUser(userId: ObjectId, limit: number): Promise<ActivityDocument[]>;
    stats(now: Date): Promise<Omit<StatsView, 'totalUsers' | 'countries' | 'topCountries' | 'genders' | 'computedAt'>>;
  };
  publish(topic: string, key: string, message: object): Promise<void>;
  invalidateListings(): Promise<void>;
  now?: () => Date;
}

export function parseUserId(raw: string): ObjectId {
  if (!/^[a-f0-9]{24}$/.test(raw)) throw AppError.badRequest(`invalid id: '${raw.slice(0, 40)}' is not 24 hexadecimal characters`, undefined, 'invalid_id');
  return new ObjectId(raw);
}

async function existing(deps: UserDeps, id: ObjectId): Promise<UserDocument> {
  const user = await deps.users.findById(id);
  if (!user) throw AppError.notFound(`user ${id.toHexString()} not found`, 'user_not_found');
  return user;
}

const emailTaken = (email: string) => new AppError('email_taken', `a user with email ${email} already exists`, 409);

export async function getUser(deps: UserDeps, rawId: string): Promise<UserView> {
  return toUserView(await existing(deps, parseUserId(rawId)));
}

export async function createUser(deps: UserDeps, request: CreateUserRequest): Promise<UserView> {
  const now = (deps.now ?? (() => new Date()))();
  const seq = await deps.sequence.reserve(1);
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
  if (!after) throw AppError.notFound(`user ${rawId} not found`, 'user_not_found');
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
  if (!(await deps.users.delete(id))) throw AppError.notFound(`user ${rawId} not found`, 'user_not_found');
  await deps.tally.record(new TallyBuilder(-1).add(user).build(`delete:${rawId}`, now));
  // The consumer removes the user's activity (and its share of the statistics) on this event.
  await deps.publish(Topics.userDeletedSingle, rawId, { v: 1, userId: rawId, at: now.toISOString() });
}

export async function recordActivity(deps: UserDeps, rawId: string, type: string, userAgent: string): Promise<Pick<ActivityView, 'id' | 'userId' | 'type' | 'at'>> {
  const id = parseUserId(rawId);
  await existing(deps, id);
  const activity = { id: new ObjectId().toHexString(), userId: rawId, type, at: (deps.now ?? (() => new Date()))().toISOString() };
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
  const [tally, activity] = await Promise.all([deps.tally.snapshot(), deps.activities.stats(now)]);
  return {
    totalUsers: tally.users,
    countries: [...tally.countries.values()].filter((n) => n > 0).length,
    topCountries: ranked(tally.countries, 15),
    genders: ranked(tally.genders),
    ...activity,
    computedAt: now.toISOString(),
  };
}
