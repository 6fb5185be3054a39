import type { JobView, UserView } from '@userforge/contracts';

/** A fetch answer with just what the API client reads. */
export function jsonResponse(status: number, body?: unknown) {
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: '',
    text: async () => (body === undefined ? '' : JSON.stringify(body)),
  } as unknown as Response;
}

export type Route = (url: URL, init: RequestInit | undefined) => Response | Promise<Response> | undefined;

/** Replaces global fetch with one answering by route; unknown routes answer 404. */
export function mockFetch(route: Route): jest.Mock {
  const fn = jest.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    return (await route(url, init)) ?? jsonResponse(404, { error: { code: 'route_not_found', message: 'not found' } });
  });
  (globalThis as { fetch: unknown }).fetch = fn;
  return fn;
}

export function aJob(overrides: Partial<JobView> = {}): JobView {
  return {
    id: '65f000000000000000000001',
    state: 'running',
    count: 10_000,
    seed: 42,
    chunkSize: 1000,
    locale: 'en',
    chunksTotal: 10,
    chunksPublished: 10,
    chunksDone: 4,
    usersStored: 4000,
    usersPerSec: 2500,
    etaSeconds: 2.4,
    progress: 0.4,
    createdAt: '2025-01-01T00:00:00.000Z',
    startedAt: '2025-01-01T00:00:01.000Z',
    finishedAt: null,
    updatedAt: '2025-01-01T00:00:02.000Z',
    error: null,
    ...overrides,
  };
}

export function aUser(overrides: Partial<UserView> = {}): UserView {
  return {
    id: '65f0000000000000000000aa',
    seq: 7,
    jobId: null,
    name: { first: 'Ada', last: 'Lovelace' },
    email: 'ada.lovelace@example.com',
    username: 'ada.l',
    phone: '+44 20 7946 0000',
    gender: 'female',
    birthDate: '1990-12-10',
    avatar: 'https://example.com/a.png',
    address: { street: '12 St James Sq', city: 'London', country: 'United Kingdom' },
    company: 'Analytical Engines',
    jobTitle: 'Mathematician',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    lastActive: '2025-01-02T00:00:00.000Z',
    ...overrides,
  };
}

/** Stands in for the browser's EventSource; tests push events with `emit`. */
export class FakeEventSource extends EventTarget {
  static instances: FakeEventSource[] = [];
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readyState = 0;
  constructor(readonly url: string) {
    super();
    FakeEventSource.instances.push(this);
  }
  open(): void {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }
  fail(closed = false): void {
    this.readyState = closed ? 2 : 0;
    this.dispatchEvent(new Event('error'));
  }
  emit(type: string, data: unknown): void {
    this.dispatchEvent(new MessageEvent(type, { data: JSON.stringify(data) }));
  }
  close(): void {
    this.readyState = 2;
  }
  static latest(): FakeEventSource {
    const last = FakeEventSource.instances[FakeEventSource.instances.length - 1];
    if (!last) throw new Error('no EventSource was opened');
    return last;
  }
  static install(): void {
    FakeEventSource.instances = [];
    (globalThis as { EventSource: unknown }).EventSource = FakeEventSource;
  }
}
