import { backoffMs, type Logger } from '@userforge/platform';
import type { UserGenerationJob } from '../api/v1alpha1/user-generation-job.types';
import { keyOf } from '../api/v1alpha1/user-generation-job.types';
import type { KubeClient, WatchEvent } from './client';

/** A failed list or watch is retried after 0.5 s, 1 s, 2 s, … at most 30 s. */
export const WATCH_BACKOFF = { minMs: 500, maxMs: 30_000 };

/** The cached copy without `managedFields`: nothing here reads them, and they are most of an object's size. */
function slim(ugj: UserGenerationJob): UserGenerationJob {
  const { managedFields: _unused, ...metadata } = ugj.metadata as UserGenerationJob['metadata'] & { managedFields?: unknown };
  return { ...ugj, metadata };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * List + watch of UserGenerationJobs into a cache, calling `onChange(key)` for every change. A watch
 * that ends is resumed from the last resource version; one that fails is retried with backoff (so a
 * stopped API server sees a request every few seconds, not a flood); `410 Gone` (the version is too
 * old) makes it list afresh. It never stops until `stop()`: no silently dead watch.
 */
export class Informer {
  readonly cache = new Map<string, UserGenerationJob>();
  private resourceVersion = '';
  private stopped = false;
  private current: { abort(): void } | undefined;
  private loop: Promise<void> | undefined;
  synced = false;
  constructor(
    private readonly client: KubeClient,
    private readonly onChange: (key: string) => void,
    private readonly logger: Logger,
    /** Counts each request to the API server (`list`, `watch`). */
    private readonly onRequest: (kind: 'list' | 'watch') => void = () => undefined,
    private readonly watchTimeoutSeconds = 240,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    let mustList = true;
    while (!this.stopped) {
      try {
        if (mustList) {
          await this.list();
          mustList = false;
        }
        const started = Date.now();
        const { gone, error } = await this.watch();
        if (gone) mustList = true;
        if (error) throw error;
        failures = 0;
        // A watch the server ends at once, again and again, must not become a busy loop.
        if (Date.now() - started < 1_000) await sleep(1_000);
      } catch (err) {
        failures += 1;
        const delay = backoffMs(failures, WATCH_BACKOFF);
        this.logger.warn({ err: (err as Error)?.message ?? err, failures, retryInMs: delay }, 'watch of UserGenerationJobs failed; retrying');
        await sleep(delay);
      }
    }
  }

  private async list(): Promise<void> {
    this.onRequest('list');
    const { items, resourceVersion } = await this.client.listJobs();
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
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
  }

  private async watch(): Promise<{ gone: boolean; error: unknown }> {
    this.onRequest('watch');
    let gone = false;
    const handle = this.client.watchJobs(
      this.resourceVersion,
      (e: WatchEvent) => {
        const metadata = (e.object.metadata ?? {}) as { resourceVersion?: string };
        if (e.type === 'ERROR') {
          if ((e.object as { code?: number }).code === 410) gone = true;
          return;
        }
        if (metadata.resourceVersion) this.resourceVersion = metadata.resourceVersion;
        if (e.type === 'BOOKMARK') return;
        const ugj = e.object as unknown as UserGenerationJob;
        const key = keyOf(ugj);
        if (e.type === 'DELETED') this.cache.delete(key);
        else this.cache.set(key, slim(ugj));
        this.onChange(key);
      },
      this.watchTimeoutSeconds,
    );
    this.current = handle;
    const error = await handle.done;
    this.current = undefined;
    if ((error as { code?: number } | null)?.code === 410 || /\b410\b|too old resource version/i.test(String((error as Error | null)?.message ?? ''))) {
      return { gone: true, error: null };
    }
    return { gone, error: this.stopped ? null : error };
  }

  /** Resync: every cached key once more (level-based reconcile makes it harmless). */
  keys(): string[] {
    return [...this.cache.keys()];
  }
}
