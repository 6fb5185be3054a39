import { backoffMs, type Logger } from '@userforge/platform';
import type { UserGenerationJob } from '../api/v1alpha1/user-generation-job.types';
import type { KubeObject, ListWatch, WatchEvent } from './client';

/** A failed list or watch is retried after 0.5 s, 1 s, 2 s, … at most 30 s. */
export const WATCH_BACKOFF = { minMs: 500, maxMs: 30_000 };

/** How a watch ended. `ended`: the server closed it (its timeoutSeconds); every other kind is an error. */
export type WatchEnd = 'ended' | 'idle_timeout' | 'gone' | 'malformed' | 'handler' | 'error';

/**
 * What to do after a watch ends: every error backs off; a 410 (history compacted), a line that is
 * not an event or a handler that threw list afresh (the cache can no longer be trusted); an idle
 * or failed watch resumes from the last resource version seen.
 */
export function afterWatch(end: WatchEnd): { relist: boolean; backoff: boolean } {
  return { relist: end === 'gone' || end === 'malformed' || end === 'handler', backoff: end !== 'ended' };
}

/**
 * A watch that has sent nothing (no event, no bookmark) for its timeoutSeconds plus a margin is
 * presumed dead (a half-open connection never ends by itself): 10 % of the timeout, at least 5 s.
 */
export function watchIdleDeadlineMs(timeoutSeconds: number): number {
  return (timeoutSeconds + Math.max(5, Math.ceil(timeoutSeconds / 10))) * 1000;
}

class WatchEndError extends Error {
  constructor(
    readonly end: WatchEnd,
    message: string,
  ) {
    super(message);
  }
}

/** One line of a watch stream as an event; anything else is `malformed`, an ERROR event is `gone` (410) or `error`. */
export function decodeWatchLine(line: string): WatchEvent {
  let event: Partial<WatchEvent>;
  try {
    event = JSON.parse(line) as Partial<WatchEvent>;
  } catch {
    throw new WatchEndError('malformed', `not JSON: ${line.slice(0, 80)}`);
  }
  if (typeof event?.type !== 'string' || typeof event.object !== 'object' || event.object === null) {
    throw new WatchEndError('malformed', `not a watch event: ${line.slice(0, 80)}`);
  }
  if (event.type === 'ERROR') {
    const status = event.object as { code?: number; message?: string };
    throw new WatchEndError(status.code === 410 ? 'gone' : 'error', `ERROR event: ${status.code ?? '?'} ${status.message ?? ''}`.trim());
  }
  const metadata = event.object.metadata as { name?: unknown } | undefined;
  if (event.type !== 'BOOKMARK' && typeof metadata?.name !== 'string') throw new WatchEndError('malformed', `event without metadata.name: ${line.slice(0, 80)}`);
  return event as WatchEvent;
}

/** `namespace/name` (just `name` for a cluster-scoped object): the cache's and the work queue's key. */
export const cacheKeyOf = (o: KubeObject) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);

/** The cached copy without `managedFields`: nothing here reads them, and they are most of an object's size. */
function slim<T extends KubeObject>(o: T): T {
  const { managedFields: _unused, ...metadata } = o.metadata as T['metadata'] & { managedFields?: unknown };
  return { ...o, metadata };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface InformerHooks {
  /** Counts each request to the API server (`list` per page, `watch`). */
  onRequest?: (kind: 'list' | 'watch') => void;
  /** Counts each failed list or watch, by how it failed. */
  onError?: (reason: WatchEnd | 'list') => void;
  /** After each complete list: the cache is whole (an empty list changes no key, yet says something). */
  onSynced?: () => void;
}

/**
 * List (paged) + watch of one kind of object (`source`: UserGenerationJobs, the consumer Deployment)
 * into a cache keyed `namespace/name`, calling `onChange(key)` for every change.
 * A watch the server ends is resumed from the last resource version; one that sends nothing past
 * its idle deadline is aborted and resumed; every failure backs off and is logged and counted; a
 * 410, an undecodable line or a failing handler lists afresh. It never stops until `stop()`, and a
 * bad line never crashes the process: no silently dead watch.
 */
export class Informer<T extends KubeObject = UserGenerationJob> {
  readonly cache = new Map<string, T>();
  private resourceVersion = '';
  private stopped = false;
  private current: { abort(): void } | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  synced = false;
  constructor(
    private readonly source: ListWatch<T>,
    private readonly onChange: (key: string) => void,
    private readonly logger: Logger,
    private readonly hooks: InformerHooks = {},
    private readonly watchTimeoutSeconds = 240,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.abort();
    this.wake?.();
    await this.loop;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => (clearTimeout(timer), resolve());
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    let mustList = true;
    while (!this.stopped) {
      if (mustList) {
        try {
          await this.list();
          mustList = false;
        } catch (err) {
          failures += 1;
          await this.failed('list', (err as Error)?.message ?? String(err), failures);
          continue;
        }
      }
      const started = Date.now();
      const { end, message } = await this.watch();
      if (this.stopped) return;
      const next = afterWatch(end);
      if (next.relist) mustList = true;
      if (next.backoff) {
        failures += 1;
        await this.failed(end, message, failures);
      } else {
        failures = 0;
        // A watch the server ends at once, again and again, must not become a busy loop.
        if (Date.now() - started < 1_000) await sleep(1_000);
      }
    }
  }

  private async failed(reason: WatchEnd | 'list', message: string, failures: number): Promise<void> {
    const delay = backoffMs(failures, WATCH_BACKOFF);
    this.hooks.onError?.(reason);
    this.logger.warn({ resource: this.source.resource, reason, err: message, failures, retryInMs: delay, resourceVersion: this.resourceVersion }, `watch of ${this.source.resource} failed; retrying`);
    await this.pause(delay);
  }

  private async list(): Promise<void> {
    const { items, resourceVersion } = await this.source.list(() => this.hooks.onRequest?.('list'));
    const seen = new Set<string>();
    for (const item of items) {
      const key = cacheKeyOf(item);
      seen.add(key);
      this.cache.set(key, slim(item));
      this.onChange(key);
    }
    for (const key of [...this.cache.keys()]) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.onChange(key);
      }
    }
    this.resourceVersion = resourceVersion;
    this.synced = true;
    this.hooks.onSynced?.();
  }

  private apply(e: WatchEvent): void {
    const metadata = (e.object.metadata ?? {}) as { resourceVersion?: string };
    if (e.type === 'BOOKMARK') {
      if (metadata.resourceVersion) this.resourceVersion = metadata.resourceVersion;
      return;
    }
    const object = e.object as unknown as T;
    const key = cacheKeyOf(object);
    if (e.type === 'DELETED') this.cache.delete(key);
    else this.cache.set(key, slim(object));
    try {
      this.onChange(key);
    } catch (err) {
      throw new WatchEndError('handler', `handling ${e.type} ${key}: ${(err as Error)?.message ?? err}`);
    }
    // Only once handled: a re-watch never skips an event that was not.
    if (metadata.resourceVersion) this.resourceVersion = metadata.resourceVersion;
  }

  private async watch(): Promise<{ end: WatchEnd; message: string }> {
    this.hooks.onRequest?.('watch');
    const idleMs = watchIdleDeadlineMs(this.watchTimeoutSeconds);
    let idle = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        idle = true;
        handle.abort();
      }, idleMs);
    };
    const handle = this.source.watch(
      this.resourceVersion,
      (line) => {
        arm();
        this.apply(decodeWatchLine(line));
      },
      this.watchTimeoutSeconds,
    );
    this.current = handle;
    arm();
    const result = await handle.done;
    clearTimeout(timer);
    this.current = undefined;
    if (idle) return { end: 'idle_timeout', message: `nothing received for ${idleMs} ms (timeoutSeconds ${this.watchTimeoutSeconds} plus a margin)` };
    if (result === null) return { end: 'ended', message: '' };
    if (result instanceof WatchEndError) return { end: result.end, message: result.message };
    const code = (result as { code?: number }).code;
    const message = (result as Error)?.message ?? String(result);
    if (code === 410 || /too old resource version/i.test(message)) return { end: 'gone', message };
    return { end: 'error', message };
  }

  /** Resync: every cached key once more (level-based reconcile makes it harmless). */
  keys(): string[] {
    return [...this.cache.keys()];
  }
}
