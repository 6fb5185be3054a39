/**
 * A de-duplicating work queue with per-key exponential backoff, as controllers use: a key waits at
 * most once; a key added while it is being processed is processed again afterwards (never twice at
 * once); a failed key comes back after a growing delay, a succeeded one is forgotten.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** When each key being processed was taken (ms since epoch). */
  private readonly started = new Map<string, number>();
  private waiters: (() => void)[] = [];
  private shutDown = false;

  constructor(
    private readonly baseDelayMs = 200,
    private readonly maxDelayMs = 60_000,
    /** Counts keys actually queued (not those merged into one already waiting) and failed keys re-added. */
    private readonly hooks: { onAdd?: () => void; onRetry?: () => void } = {},
  ) {}

  /** How long the key processed the longest so far has been at it (ms; 0 when none is). */
  longestRunningMs(now = Date.now()): number {
    let oldest = now;
    for (const at of this.started.values()) oldest = Math.min(oldest, at);
    return now - oldest;
  }

  get depth(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.shutDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.hooks.onAdd?.();
    this.waiters.shift()?.();
  }

  /** Adds the key after `ms` (a later call for the same key keeps the earlier deadline). */
  addAfter(key: string, ms: number): void {
    if (this.shutDown || this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** Re-adds a failed key after its backoff: base × 2^(failures-1), capped. */
  addRateLimited(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const delay = Math.min(this.baseDelayMs * 2 ** (n - 1), this.maxDelayMs);
    this.hooks.onRetry?.();
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key to process, or null once shut down. Call `done(key)` when finished with it. */
  async get(): Promise<string | null> {
    while (this.queue.length === 0) {
      if (this.shutDown) return null;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const key = this.queue.shift()!;
    this.queued.delete(key);
    this.processing.add(key);
    this.started.set(key, Date.now());
    return key;
  }

  done(key: string): void {
    this.processing.delete(key);
    this.started.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutdown(): void {
    this.shutDown = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const wake of this.waiters.splice(0)) wake();
  }
}
