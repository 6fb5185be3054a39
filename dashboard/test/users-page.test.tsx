/** @jest-environment jsdom */
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { UserView } from '@userforge/contracts';
import { App } from '../src/App';
import { aUser, FakeEventSource, jsonResponse, mockFetch } from './helpers';

const users = (from: number, n: number): UserView[] =>
  Array.from({ length: n }, (_, i) => aUser({ id: (from + i).toString(16).padStart(24, '0'), seq: from + i, email: `user${from + i}@example.com` }));

/** Answers to /v1/users that the test releases one by one. */
function deferredUsers() {
  const waiting: { url: URL; resolve: (r: Response) => void }[] = [];
  const fetch = mockFetch((url) => {
    if (url.pathname === '/v1/users') return new Promise<Response>((resolve) => waiting.push({ url, resolve }));
    if (url.pathname.endsWith('/activity')) return jsonResponse(200, { data: [] });
    if (url.pathname.startsWith('/v1/users/')) return jsonResponse(200, users(Number.parseInt(url.pathname.split('/').pop()!, 16), 1)[0]);
    return undefined;
  });
  const answer = async (status: number, body: unknown) => {
    await waitFor(() => expect(waiting.length).toBeGreaterThan(0));
    const next = waiting.shift()!;
    await act(async () => next.resolve(jsonResponse(status, body)));
    return next.url;
  };
  return { fetch, answer };
}

const rowsShown = () => screen.getAllByRole('row').slice(1).map((r) => r.textContent);

describe('users page', () => {
  beforeEach(() => {
    FakeEventSource.install();
    window.location.hash = '#/users?page=2&limit=25&sort=-seq';
  });

  it('loads the view in the URL, keeps its rows while the next page loads, and writes the new page to the URL', async () => {
    const { answer } = deferredUsers();
    render(<App />);
    const first = await answer(200, { data: users(26, 25), page: 2, limit: 25, total: 100, next: 'c2' });
    expect(Object.fromEntries(first.searchParams)).toEqual({ page: '2', limit: '25', sort: '-seq' });
    expect(screen.getByText('Page 2 of 4')).toBeTruthy();
    expect(rowsShown()).toHaveLength(25);
    expect((screen.getByLabelText('Rows per page') as HTMLSelectElement).value).toBe('25');

    fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(window.location.hash).toBe('#/users?page=3&limit=25&sort=-seq'));
    await waitFor(() => expect(screen.getByText('Page 3 of 4')).toBeTruthy());
    // The previous page is still on screen while page 3 loads.
    expect(rowsShown()[0]).toContain('user26@example.com');
    expect(screen.getByRole('status', { name: '' }).textContent).toBe('Loading…');

    const second = await answer(200, { data: users(51, 25), page: 3, limit: 25, total: 100, next: 'c3' });
    expect(second.searchParams.get('page')).toBe('3');
    expect(rowsShown()[0]).toContain('user51@example.com');
  });

  it('applies filters on submit, from page 1, and shows the API error', async () => {
    const { answer } = deferredUsers();
    render(<App />);
    await answer(200, { data: users(26, 25), page: 2, limit: 25, total: 100, next: 'c2' });
    fireEvent.change(screen.getByLabelText('Country'), { target: { value: 'France' } });
    fireEvent.change(screen.getByLabelText('Gender'), { target: { value: 'female' } });
    expect(window.location.hash).toBe('#/users?page=2&limit=25&sort=-seq');
    fireEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(() => expect(window.location.hash).toBe('#/users?limit=25&sort=-seq&country=France&gender=female'));
    await answer(400, { error: { code: 'validation_failed', message: 'invalid query: country: country must not be empty' } });
    expect((await screen.findByRole('alert')).textContent).toBe('invalid query: country: country must not be empty');
  });

  it('opens the details panel from a row with Enter and closes it', async () => {
    const { answer } = deferredUsers();
    render(<App />);
    await answer(200, { data: users(26, 3), page: 2, limit: 25, total: 28, next: null });
    const row = screen.getAllByRole('row')[2]!;
    row.focus();
    fireEvent.keyDown(row, { key: 'Enter' });
    const dialog = await screen.findByRole('dialog', { name: 'User details' });
    expect(dialog.textContent).toContain('user27@example.com');
    await waitFor(() => expect(dialog.textContent).toContain('No activity yet.'));
    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(row);
  });

  it('sorts, resizes and jumps to a page through the URL; the inputs follow the URL back', async () => {
    const { answer } = deferredUsers();
    render(<App />);
    await answer(200, { data: users(26, 25), page: 2, limit: 25, total: 100, next: 'c2' });
    fireEvent.click(screen.getByRole('button', { name: /^Email/ }));
    await waitFor(() => expect(window.location.hash).toBe('#/users?limit=25&sort=email'));
    await answer(200, { data: users(1, 25), page: 1, limit: 25, total: 100, next: 'c1' });
    expect(screen.getByRole('columnheader', { name: /Email/ }).getAttribute('aria-sort')).toBe('ascending');

    fireEvent.change(screen.getByLabelText('Rows per page'), { target: { value: '50' } });
    await waitFor(() => expect(window.location.hash).toBe('#/users?limit=50&sort=email'));
    await answer(200, { data: users(1, 50), page: 1, limit: 50, total: 100, next: 'c1' });
    expect(screen.getByText('Page 1 of 2')).toBeTruthy();
    expect(screen.getByText('100 users')).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Go to page'), { target: { value: '2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Go' }));
    await waitFor(() => expect(window.location.hash).toBe('#/users?page=2&limit=50&sort=email'));
    await answer(200, { data: users(51, 50), page: 2, limit: 50, total: 100, next: null });
    expect((screen.getByRole('button', { name: 'Next page' }) as HTMLButtonElement).disabled).toBe(true);

    await act(async () => {
      window.location.hash = '#/users?country=Peru';
    });
    await waitFor(() => expect((screen.getByLabelText('Country') as HTMLInputElement).value).toBe('Peru'));
    expect((screen.getByLabelText('Go to page') as HTMLInputElement).value).toBe('1');
    await answer(200, { data: [], page: 1, limit: 10, total: 0, next: null });
    expect(screen.getByText('No users match this view.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect((screen.getByLabelText('Country') as HTMLInputElement).value).toBe('');
    await waitFor(() => expect(window.location.hash).toBe('#/users'));
  });
});
