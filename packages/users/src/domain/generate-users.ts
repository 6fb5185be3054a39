import type { GenerateChunk } from '@userforge/contracts';
import { createRandom, type Random } from './random';
import type { Gender } from '@userforge/contracts';
import type { UserDocument } from '../data/user';
import { userIdFor } from '../data/user-id';
import { vocabularyFor, type Vocabulary } from './vocabulary';

const DAY_MS = 86_400_000;
/** Birth dates are drawn relative to a fixed date, not "now", so a chunk is the same next year. */
const BIRTH_REFERENCE_MS = Date.UTC(2025, 0, 1);

export type ChunkSpec = Pick<GenerateChunk, 'jobId' | 'chunkIndex' | 'seed' | 'seqStart' | 'count' | 'locale' | 'createdAt'>;

function digits(format: string, rnd: Random): string {
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format.charCodeAt(i);
    if (c === 35 /* # */) out += String.fromCharCode(48 + rnd.int(10));
    else if (c === 33 /* ! */) out += String.fromCharCode(50 + rnd.int(8));
    else out += format[i];
  }
  return out;
}

function makeUser(v: Vocabulary, rnd: Random, spec: ChunkSpec, seq: number, createdAt: Date, createdAtSec: number): UserDocument {
  const gender: Gender = rnd.next() < 0.5 ? 'female' : 'male';
  const first = rnd.pick(v.firstNames[gender]);
  const last = rnd.pick(v.lastNames);
  const firstSlug = v.slug(first);
  const lastSlug = v.slug(last);
  const tag = seq.toString(36);
  const street = rnd.pick(v.streets);
  const houseNumber = 1 + rnd.int(250);
  return {
    _id: userIdFor(createdAtSec, seq),
    seq,
    jobId: spec.jobId,
    name: { first, last },
    // Unique by construction: the global sequence number is part of the local part.
    email: `${firstSlug}.${lastSlug}.${tag}@${rnd.pick(v.emailDomains)}`,
    username: `${firstSlug}${lastSlug.slice(0, 3)}${rnd.int(1000)}`,
    phone: digits(rnd.pick(v.phoneFormats), rnd),
    gender,
    birthDate: new Date(BIRTH_REFERENCE_MS - (18 * 365 + rnd.int(62 * 365)) * DAY_MS),
    avatar: `https://avatars.githubusercontent.com/u/${1 + rnd.int(99_999_999)}`,
    address: { street: v.numberFirst ? `${houseNumber} ${street}` : `${street} ${houseNumber}`, city: rnd.pick(v.cities), country: rnd.pick(v.countries) },
    company: rnd.pick(v.companies),
    jobTitle: rnd.pick(v.jobTitles),
    createdAt,
    updatedAt: createdAt,
    lastActive: createdAt,
  };
}

/**
 * The users of one chunk, in order, `batchSize` at a time, so a 100,000-user chunk never sits in
 * memory at once. Everything is a function of the chunk spec: replaying it yields the same users.
 */
export function* generateChunk(spec: ChunkSpec, batchSize = 1_000): Generator<UserDocument[]> {
  const v = vocabularyFor(spec.locale);
  const rnd = createRandom(spec.seed, spec.chunkIndex);
  const createdAt = new Date(spec.createdAt);
  const createdAtSec = Math.floor(createdAt.getTime() / 1000);
  for (let from = 0; from < spec.count; from += batchSize) {
    const n = Math.min(batchSize, spec.count - from);
    const batch = new Array<UserDocument>(n);
    for (let i = 0; i < n; i++) batch[i] = makeUser(v, rnd, spec, spec.seqStart + from + i, createdAt, createdAtSec);
    yield batch;
  }
}
