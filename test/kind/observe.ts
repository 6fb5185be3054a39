/** Watchers the cluster end-to-end test runs beside a job or a rollout: SSE, a read load, Prometheus. */
import http from 'node:http';

export interface JobEvent {
  /** When the event reached us (ms since epoch). */
  at: number;
  job: { id: string; state: string; usersStored: number; count: number; updatedAt: string };
}

/**
 * Where a request for `url` connects when its host name is not in any DNS here (the Ingress's host):
 * the name stays in the request (Host header), the connection goes to `address`.
 */
export type Via = { address?: string };

function lookupFor(via: Via): http.RequestOptions['lookup'] {
  const address = via.address;
  if (!address) return undefined;
  return (_host, options, callback) => {
    if (options.all) callback(null, [{ address, family: 4 }]);
    else callback(null, address, 4);
  };
}

/** Reads `GET /v1/events` as a browser's EventSource would, keeping every `job` event with its arrival time. */
export function watchJobEvents(url: string, via: Via = {}) {
  const events: JobEvent[] = [];
  const opened = Date.now();
  let closing = false;
  let req: http.ClientRequest | undefined;
  const done = new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => (closing ? resolve() : reject(err));
    req = http.get(url, { headers: { accept: 'text/event-stream' }, lookup: lookupFor(via) }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`${url} answered ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        const at = Date.now();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = message.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
          if (/^event: job$/m.test(message) && data) events.push({ at, job: (JSON.parse(data) as { job: JobEvent['job'] }).job });
        }
      });
      res.on('end', resolve);
      res.on('error', fail);
    });
    req.on('error', fail);
  });
  return {
    opened,
    events,
    of: (jobId: string) => events.filter((e) => e.job.id === jobId),
    async close() {
      closing = true;
      req?.destroy();
      await done;
    },
  };
}

const stateRank = (state: string) => ['publishing', 'running'].indexOf(state) + 1 || 3;

/**
 * Polls `GET /v1/jobs/:id` and remembers when each state of the job was first visible there, so an
 * SSE event's delay is measured against the moment the change could be read at all.
 */
export function pollJob(url: string, everyMs = 200) {
  const seen: { at: number; usersStored: number; state: string }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const res = await fetch(url).catch(() => undefined);
      if (res?.ok) {
        const job = (await res.json()) as { usersStored: number; state: string };
        seen.push({ at: Date.now(), usersStored: job.usersStored, state: job.state });
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    seen,
    /** When the API first showed at least this progress in at least this state (publishing, running, then a final one). */
    firstShown(job: JobEvent['job']): number {
      return seen.find((s) => s.usersStored >= job.usersStored && stateRank(s.state) >= stateRank(job.state))?.at ?? Number.POSITIVE_INFINITY;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

export interface LoadResult {
  requests: number;
  hits: number;
  errors: string[];
}

/** One GET on a connection of its own (no keep-alive): as many independent clients reach a Service. */
function getOnce(url: string, via: Via): Promise<{ status: number; cache: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    // A slow answer on a loaded 2-core machine is not a dropped request (latency belongs in
    // benchmarks); a connection that gets no answer for 30 s is one.
    const req = http.get(url, { agent: false, timeout: 30_000, lookup: lookupFor(via) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cache: res.headers['x-cache'] as string | undefined, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
  });
}

/**
 * `workers` loops of `GET url` until stopped; every answer that is not a 200 with a page of users is
 * an error. Each read opens its own connection: a kept-alive connection stays pinned to the pod it
 * was opened to, and an HTTP/1.1 client must retry a request the closing server never read.
 */
export function readLoad(url: string, via: Via = {}, workers = 4) {
  const result: LoadResult = { requests: 0, hits: 0, errors: [] };
  let running = true;
  const worker = async () => {
    while (running) {
      try {
        const res = await getOnce(url, via);
        result.requests += 1;
        if (res.cache === 'HIT') result.hits += 1;
        const ok = res.status === 200 && Array.isArray((JSON.parse(res.body) as { data?: unknown[] }).data);
        if (!ok) result.errors.push(`${res.status} ${res.body.slice(0, 200)}`);
      } catch (err) {
        result.requests += 1;
        result.errors.push(`${(err as Error).name}: ${(err as Error).message}`);
      }
    }
  };
  const all = Promise.all(Array.from({ length: workers }, worker));
  return {
    result,
    async stop(): Promise<LoadResult> {
      running = false;
      await all;
      return result;
    },
  };
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query against Prometheus' HTTP API. */
export async function promQuery(base: string, query: string): Promise<Sample[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { status: string; data: { result: Sample[] }; error?: string };
  if (body.status !== 'success') throw new Error(`Prometheus query ${query} failed: ${body.error}`);
  return body.data.result;
}
