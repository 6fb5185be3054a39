import type { JobView, PlatformEvent } from '@userforge/contracts/browser';
import { isActive, isNewer } from './job-state';

export interface LiveSnapshot {
  jobs: ReadonlyMap<string, JobView>;
  /** Jobs seen active in this session, in the order they appeared: the live cards. */
  watched: readonly string[];
  /** The event stream failed and /healthz does not answer. */
  unreachable: boolean;
}

export type JobListener = (job: JobView, previous: JobView | undefined) => void;

/** The app's live state, fed by the one event stream and by API responses. */
export class LiveJobs {
  private state: LiveSnapshot = { jobs: new Map(), watched: [], unreachable: false };
  private readonly listeners = new Set<() => void>();
  private readonly jobListeners = new Set<JobListener>();
  private readonly connectListeners = new Set<() => void>();

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): LiveSnapshot => this.state;

  /** Called for every job change that came as an event (or from this client's own actions). */
  onJob(listener: JobListener): () => void {
    this.jobListeners.add(listener);
    return () => this.jobListeners.delete(listener);
  }

  /** Called each time the event stream (re)connects: what happened while away was missed. */
  onConnect(listener: () => void): () => void {
    this.connectListeners.add(listener);
    return () => this.connectListeners.delete(listener);
  }

  /** Takes a job view if it is newer than the one held; `notify: false` for bulk reads such as the history. */
  upsert(job: JobView, notify = true): void {
    const previous = this.state.jobs.get(job.id);
    if (previous && !isNewer(job, previous)) return;
    const jobs = new Map(this.state.jobs);
    jobs.set(job.id, job);
    const watched = isActive(job) && !this.state.watched.includes(job.id) ? [...this.state.watched, job.id] : this.state.watched;
    this.set({ ...this.state, jobs, watched });
    if (notify) for (const listener of this.jobListeners) listener(job, previous);
  }

  dismiss(id: string): void {
    this.set({ ...this.state, watched: this.state.watched.filter((w) => w !== id) });
  }

  setUnreachable(unreachable: boolean): void {
    if (unreachable !== this.state.unreachable) this.set({ ...this.state, unreachable });
  }

  connected(): void {
    this.setUnreachable(false);
    for (const listener of this.connectListeners) listener();
  }

  private set(next: LiveSnapshot): void {
    this.state = next;
    for (const listener of this.listeners) listener();
  }
}

export interface ConnectOptions {
  eventsUrl: string;
  isHealthy: () => Promise<boolean>;
  createEventSource?: (url: string) => EventSource;
  /** How often /healthz is asked while the stream is down. */
  healthEveryMs?: number;
  /** Delay before a new EventSource when the browser gave up on the old one (CLOSED). */
  reopenAfterMs?: number;
}

/**
 * Opens the event stream and keeps it open. EventSource retries by itself after a dropped
 * connection; it gives up (CLOSED) on an HTTP error or a wrong content type, so then a new one is
 * made. Returns the function that stops everything.
 */
export function connectEvents(store: LiveJobs, options: ConnectOptions): () => void {
  const { eventsUrl, isHealthy, healthEveryMs = 3000, reopenAfterMs = 3000 } = options;
  const create = options.createEventSource ?? ((url: string) => new EventSource(url));
  let source: EventSource | null = null;
  let stopped = false;
  let healthTimer: ReturnType<typeof setTimeout> | undefined;
  let reopenTimer: ReturnType<typeof setTimeout> | undefined;
  let down = false;

  const checkHealth = async () => {
    healthTimer = undefined;
    const healthy = await isHealthy();
    if (stopped || !down) return;
    store.setUnreachable(!healthy);
    healthTimer = setTimeout(() => void checkHealth(), healthEveryMs);
  };

  const onJob = (event: MessageEvent<string>) => {
    try {
      const parsed = JSON.parse(event.data) as PlatformEvent;
      if (parsed?.type === 'job' && parsed.job && typeof parsed.job.id === 'string') store.upsert(parsed.job);
    } catch {
      /* a malformed event is skipped; the next one carries the full job again */
    }
  };

  const open = () => {
    reopenTimer = undefined;
    if (stopped) return;
    const es = create(eventsUrl);
    source = es;
    es.addEventListener('job', onJob as EventListener);
    es.addEventListener('open', () => {
      down = false;
      if (healthTimer !== undefined) clearTimeout(healthTimer);
      healthTimer = undefined;
      store.connected();
    });
    es.addEventListener('error', () => {
      if (stopped) return;
      if (!down) {
        down = true;
        if (healthTimer === undefined) void checkHealth();
      }
      if (es.readyState === 2 /* CLOSED */ && reopenTimer === undefined) {
        es.close();
        reopenTimer = setTimeout(open, reopenAfterMs);
      }
    });
  };

  open();
  return () => {
    stopped = true;
    if (healthTimer !== undefined) clearTimeout(healthTimer);
    if (reopenTimer !== undefined) clearTimeout(reopenTimer);
    source?.close();
  };
}
