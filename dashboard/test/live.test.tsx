/** @jest-environment jsdom */
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { ConnectionBanner } from '../src/components/connection-banner';
import { LiveProvider } from '../src/hooks/use-live';
import { JobsPage } from '../src/pages/jobs.page';
import { aJob, FakeEventSource, jsonResponse, mockFetch } from './helpers';

const page = (data: unknown[]) => ({ data, page: 1, limit: 10, total: data.length, next: null });

describe('live updates', () => {
  beforeEach(() => FakeEventSource.install());

  it('shows the banner while the stream fails and /healthz does not answer, and hides it when back', async () => {
    let healthy = false;
    mockFetch((url) => (url.pathname === '/healthz' ? jsonResponse(healthy ? 200 : 503, { status: 'ok' }) : undefined));
    render(
      <LiveProvider>
        <ConnectionBanner />
      </LiveProvider>,
    );
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(FakeEventSource.latest().url).toBe('http://localhost:9000/v1/events');
    expect(screen.queryByRole('alert')).toBeNull();

    act(() => FakeEventSource.latest().fail());
    expect((await screen.findByRole('alert')).textContent).toBe('API unreachable — reconnecting…');

    healthy = true;
    act(() => FakeEventSource.latest().open());
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });

  it('keeps the banner hidden when the stream drops but the API still answers', async () => {
    const fetch = mockFetch((url) => (url.pathname === '/healthz' ? jsonResponse(200, { status: 'ok' }) : undefined));
    render(
      <LiveProvider>
        <ConnectionBanner />
      </LiveProvider>,
    );
    act(() => FakeEventSource.latest().fail());
    await waitFor(() => expect(fetch).toHaveBeenCalled());
    await act(async () => {});
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows a started job at once, then moves it with the events, then reloads the history when it ends', async () => {
    const started = aJob({ state: 'publishing', progress: 0, usersStored: 0, chunksDone: 0, etaSeconds: null, updatedAt: '2025-01-01T00:00:00.000Z' });
    const fetch = mockFetch((url, init) => {
      if (url.pathname === '/v1/jobs' && init?.method === 'POST') return jsonResponse(202, started);
      if (url.pathname === '/v1/jobs') return jsonResponse(200, page([]));
      return undefined;
    });
    render(
      <LiveProvider>
        <JobsPage />
      </LiveProvider>,
    );
    fireEvent.change(screen.getByLabelText('Number of users'), { target: { value: '10000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start job' }));
    const bar = await screen.findByRole('progressbar', { name: `Job ${started.id} progress` });
    expect(bar.getAttribute('aria-valuenow')).toBe('0');

    act(() => FakeEventSource.latest().emit('job', { type: 'job', job: aJob({ progress: 0.5, usersStored: 5000, updatedAt: '2025-01-01T00:00:05.000Z' }) }));
    expect(screen.getByRole('progressbar', { name: `Job ${started.id} progress` }).getAttribute('aria-valuenow')).toBe('50');

    // An older event arriving late does not move the bar back.
    act(() => FakeEventSource.latest().emit('job', { type: 'job', job: aJob({ progress: 0.3, updatedAt: '2025-01-01T00:00:03.000Z' }) }));
    expect(screen.getByRole('progressbar', { name: `Job ${started.id} progress` }).getAttribute('aria-valuenow')).toBe('50');

    const listCalls = () => fetch.mock.calls.filter(([u, init]) => String(u).includes('/v1/jobs?') && !init?.method?.startsWith('P')).length;
    const before = listCalls();
    act(() =>
      FakeEventSource.latest().emit('job', {
        type: 'job',
        job: aJob({ state: 'succeeded', progress: 1, usersStored: 10_000, etaSeconds: null, updatedAt: '2025-01-01T00:00:09.000Z' }),
      }),
    );
    expect(screen.getByRole('progressbar', { name: `Job ${started.id} progress` }).getAttribute('aria-valuenow')).toBe('100');
    await waitFor(() => expect(listCalls()).toBeGreaterThan(before));
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
  });
});
