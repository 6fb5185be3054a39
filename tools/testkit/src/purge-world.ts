import type { JobState } from '@userforge/contracts';
import type { PurgeDeps, PurgeRecord, PurgedUser, TallyDelta, UserEvent } from '@userforge/users';
import { foldDeltas } from '@userforge/users';

/** In-memory stand-ins for what a purge reads and writes (tests of the purge and of what runs it). */
export const JOB = 'aaaaaaaaaaaaaaaaaaaaaaaa';
export const OTHER = 'bbbbbbbbbbbbbbbbbbbbbbbb';
export const T0 = new Date('2026-01-01T00:00:00Z');

export const userAt = (seq: number): PurgedUser => ({
  id: seq.toString(16).padStart(24, '0'),
  seq,
  gender: seq % 2 ? 'female' : 'male',
  address: { country: ['Chile', 'Peru', 'Togo'][seq % 3]! },
  updatedAt: T0,
});

/** The repositories, with the same once-per-id tally and write-ahead outbox. */
export function world(opts: { state?: JobState; seqBase?: number; count?: number; others?: number[]; present?: (seq: number) => boolean } = {}) {
  const { state = 'succeeded', seqBase = 100, count = 250, others = [10, 11, 400, 401] } = opts;
  const users = new Map<number, PurgedUser>();
  for (let seq = seqBase; seq < seqBase + count; seq++) if (!opts.present || opts.present(seq)) users.set(seq, userAt(seq));
  for (const seq of others) users.set(seq, userAt(seq));
  const tally = new Map<string, TallyDelta>();
  const outbox = new Map<string, UserEvent & { state: string }>();
  const purges: PurgeRecord[] = [];
  let purge: PurgeRecord | undefined;
  let nextId = 0;
  let failDeleteAt: number | undefined;
  let invalidations = 0;
  const inRange = (from: number, to: number) => [...users.values()].filter((u) => u.seq >= from && u.seq < to).sort((a, b) => a.seq - b.seq);
  const deps: PurgeDeps = {
    jobs: {
      findById: async (id) => (id === JOB ? { _id: JOB, state, seqBase, count, ...(purge ? { purge } : {}) } : null),
      recordPurge: async (_id, p) => {
        purge = p;
        purges.push(p);
      },
    },
    users: {
      inSeqRange: async (from, to) => inRange(from, to),
      firstSeqIn: async (from, to) => inRange(from, to)[0]?.seq ?? null,
      countInSeqRange: async (from, to) => inRange(from, to).length,
      deleteInSeqRange: async (from, to, ids) => {
        if (failDeleteAt !== undefined && from >= failDeleteAt) throw new Error('connection lost');
        const gone = inRange(from, to).filter((u) => ids.includes(u.id));
        for (const u of gone) users.delete(u.seq);
        return gone.length;
      },
    },
    tally: {
      record: async (delta) => {
        if (!tally.has(delta._id)) tally.set(delta._id, delta);
      },
    },
    outbox: {
      addMany: async (events, eventState = 'pending') =>
        events.map((e) => {
          const id = String(nextId++);
          outbox.set(id, { ...e, state: eventState });
          return id;
        }),
      markReadyMany: async (ids) => {
        for (const id of ids) if (outbox.has(id)) outbox.get(id)!.state = 'ready';
        return ids.filter((id) => !outbox.has(id));
      },
    },
    relay: { nudge: () => undefined },
    invalidateListings: async () => void invalidations++,
    now: () => T0,
    windowSize: 100,
  };
  return {
    deps,
    users,
    tally,
    outbox,
    purges,
    failDeletesFrom: (seq: number | undefined) => (failDeleteAt = seq),
    invalidations: () => invalidations,
    /** The users counted out by the tally's deltas (each delta once, as the tally applies them). */
    counted: () => -foldDeltas(tally.values()).snapshot.users,
  };
}

