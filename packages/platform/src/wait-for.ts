import { setTimeout as sleep } from 'node:timers/promises';
import { jitteredBackoffMs, type BackoffBounds } from './backoff';
import { ConfigError } from './config';
import type { Logger } from './logger';

/** How long a starting process waits between attempts to reach a server: 0.5 s doubling, at most 15 s. */
export const STARTUP_BACKOFF: BackoffBounds = { minMs: 500, maxMs: 15_000 };

/** Rejected by `waitFor` when its signal aborts: the process is shutting down, nothing failed. */
export class StartAborted extends Error {
  constructor(readonly server: string) {
    super(`stopped while waiting for ${server}`);
    this.name = 'StartAborted';
  }
}

/**
 * Errors no retry can fix: the settings themselves are wrong (a URL that does not parse, an option
 * the driver rejects). Everything else (refused, timed out, not yet elected) is worth waiting out.
 */
export function isConfigError(err: unknown): boolean {
  if (err instanceof ConfigError) return true;
  const e = err as { name?: string; code?: string } | null;
  return e?.name === 'MongoParseError' || e?.name === 'MongoInvalidArgumentError' || e?.code === 'ERR_INVALID_URL';
}

/**
 * What a starting process still waits for, server by server, so its readiness endpoint can say it:
 * each named server is pending until `waitFor` reached it.
 */
export class StartupProgress {
  private readonly pending = new Map<string, string>();

  constructor(private readonly servers: string[]) {
    for (const server of servers) this.pending.set(server, 'not tried yet');
  }

  /** Records why `server` is still out of reach. */
  waiting(server: string, reason: string): void {
    if (this.pending.has(server)) this.pending.set(server, reason);
  }

  reached(server: string): void {
    this.pending.delete(server);
  }

  get done(): boolean {
    return this.pending.size === 0;
  }

  /**
   * The readiness check of a process still starting: always rejects (the process swaps in its own
   * check once started), naming in its message and in `checks` the servers still waited for
   * (`{ mongo: 'ok', kafka: 'down: waiting: attempt 3 failed: …' }`).
   */
  async check(): Promise<void> {
    const checks: Record<string, string> = Object.fromEntries(
      this.servers.map((s) => [s, this.pending.has(s) ? `down: waiting: ${this.pending.get(s)}` : 'ok']),
    );
    if (this.done) {
      checks.startup = 'down: servers reached, starting';
      throw Object.assign(new Error('starting: servers reached'), { checks });
    }
    const waiting = [...this.pending].map(([server, reason]) => `${server} (${reason})`).join(', ');
    throw Object.assign(new Error(`starting: waiting for ${waiting}`), { checks });
  }
}

/** What a process's adapters need to wait for their servers: the shutdown signal, and where to report. */
export interface StartupWait {
  signal?: AbortSignal;
  progress?: StartupProgress;
}

export interface WaitOptions<T = unknown> {
  logger: Logger;
  /** Aborted on shutdown: the wait ends at once with `StartAborted`. */
  signal?: AbortSignal;
  progress?: StartupProgress;
  backoff?: BackoffBounds;
  /** Errors that end the wait (default: `isConfigError`). */
  fatal?: (err: unknown) => boolean;
  random?: () => number;
  /** Releases a connection that arrived after the wait was aborted. */
  discard?: (value: T) => unknown;
}

/**
 * Calls `connect` until it resolves, waiting longer after each failure (exponential, jittered,
 * capped) and logging what it waits for. Never gives up on a slow or absent server; only a config
 * error, or the signal, ends it. `connect` receives the signal so an attempt in flight can be
 * abandoned; it should release what it opened when it fails.
 */
export async function waitFor<T>(server: string, connect: (signal: AbortSignal) => Promise<T>, opts: WaitOptions<T>): Promise<T> {
  const signal = opts.signal ?? new AbortController().signal;
  const fatal = opts.fatal ?? isConfigError;
  let onAbort = () => undefined as void;
  const aborted = new Promise<never>((_, reject) => (onAbort = () => reject(new StartAborted(server))));
  aborted.catch(() => undefined); // observed only through the race below
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw new StartAborted(server);
      try {
        const attempted = connect(signal);
        // A connection made after the wait was abandoned is nobody's: released, not leaked.
        void attempted.then((late) => signal.aborted && opts.discard?.(late), () => undefined);
        const value = await Promise.race([attempted, aborted]);
        opts.progress?.reached(server);
        if (attempt > 1) opts.logger.info({ server, attempts: attempt }, `reached ${server}`);
        return value;
      } catch (err) {
        if (signal.aborted) throw new StartAborted(server);
        if (fatal(err)) throw err;
        const message = (err as Error)?.message ?? String(err);
        const nextDelayMs = jitteredBackoffMs(attempt, opts.backoff ?? STARTUP_BACKOFF, opts.random);
        opts.progress?.waiting(server, `attempt ${attempt} failed: ${message}`);
        opts.logger.warn({ server, attempt, nextDelayMs, error: message }, `waiting for ${server}`);
        await sleep(nextDelayMs, undefined, { signal }).catch(() => undefined); // aborted: the loop's first line ends it
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
