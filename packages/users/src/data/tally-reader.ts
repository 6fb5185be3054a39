import type { TallySnapshot } from '../domain/tally';
import type { UserTallyRepository } from './user-tally.repository';

type Folded = Awaited<ReturnType<UserTallyRepository['foldFromDatabase']>>;

/**
 * Reads the tally from Redis; while Redis is unreachable, from the deltas stored in MongoDB (folded
 * at most every `fallbackTtlMs`), so listings keep working without the cache.
 */
export class TallyReader {
  private folded: { at: number; value: Promise<Folded> } | null = null;

  constructor(
    private readonly repo: UserTallyRepository,
    private readonly redisReady: () => boolean,
    private readonly fallbackTtlMs = 10_000,
  ) {}

  private fold(): Promise<Folded> {
    const now = Date.now();
    if (!this.folded || now - this.folded.at > this.fallbackTtlMs) {
      const value = this.repo.foldFromDatabase();
      value.catch(() => (this.folded = null));
      this.folded = { at: now, value };
    }
    return this.folded.value;
  }

  private async read<T>(fromRedis: () => Promise<T>, fromFold: (f: Folded) => T): Promise<T> {
    if (this.redisReady()) {
      try {
        return await fromRedis();
      } catch {
        // fall through to the database
      }
    }
    return fromFold(await this.fold());
  }

  snapshot(): Promise<TallySnapshot> {
    return this.read(() => this.repo.snapshot(), (f) => f.snapshot);
  }

  coarse(): Promise<Map<number, number>> {
    return this.read(() => this.repo.coarse(), (f) => f.coarse);
  }

  fine(slices: number[]): Promise<Map<number, number>> {
    return this.read(() => this.repo.fine(slices), (f) => new Map(slices.map((s) => [s, f.fine.get(s) ?? 0])));
  }
}
