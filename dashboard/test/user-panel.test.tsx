/** @jest-environment jsdom */
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { ActivityView } from '@userforge/contracts';
import { UserPanel } from '../src/components/user-panel';
import { aUser, jsonResponse, mockFetch } from './helpers';

const anActivity = (id: string): ActivityView => ({ id, userId: aUser().id, type: 'visit', device: 'desktop', browser: 'Firefox', os: 'Linux', at: '2025-01-03T00:00:00.000Z' });

/** The API of one user: GET answers `fresh`, activity grows by one entry a POST after it is recorded. */
function oneUser(fresh = aUser({ email: 'fresh@example.com' })) {
  const activity: ActivityView[] = [];
  const calls: string[] = [];
  const fetch = mockFetch((url, init) => {
    const method = init?.method ?? 'GET';
    calls.push(`${method} ${url.pathname}`);
    if (url.pathname.endsWith('/activity')) {
      if (method === 'POST') {
        activity.push(anActivity(`a${activity.length + 1}`));
        return jsonResponse(202, {});
      }
      return jsonResponse(200, { data: [...activity] });
    }
    if (method === 'PATCH') return jsonResponse(200, { ...fresh, jobTitle: 'Analyst' });
    if (method === 'DELETE') return jsonResponse(409, { error: { code: 'conflict', message: 'try again' } });
    return jsonResponse(200, fresh);
  });
  return { fetch, calls };
}

const renderPanel = () => {
  const handlers = { onClose: jest.fn(), onUpdated: jest.fn(), onDeleted: jest.fn() };
  render(<UserPanel user={aUser()} {...handlers} />);
  return handlers;
};

describe('user panel', () => {
  it('shows a fresh copy of the user and its activity, and focuses the name', async () => {
    oneUser();
    renderPanel();
    const dialog = screen.getByRole('dialog', { name: 'User details' });
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Ada Lovelace' }));
    await waitFor(() => expect(dialog.textContent).toContain('fresh@example.com'));
    expect(dialog.textContent).toContain('12 St James Sq, London, United Kingdom');
    expect(dialog.textContent).toContain('No activity yet.');
  });

  it('records a visit and waits until it shows in the list', async () => {
    const { calls } = oneUser();
    renderPanel();
    await screen.findByText('No activity yet.');
    fireEvent.click(screen.getByRole('button', { name: 'Record activity' }));
    expect(screen.getByText('Recording activity…')).toBeTruthy();
    await screen.findByText('Activity recorded.', undefined, { timeout: 3000 });
    expect(screen.getAllByRole('row')).toHaveLength(2);
    expect(calls).toContain(`POST /v1/users/${aUser().id}/activity`);
  });

  it('edits the user and reports the saved copy', async () => {
    oneUser();
    const { onUpdated } = renderPanel();
    fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    fireEvent.change(screen.getByLabelText('Job title'), { target: { value: 'Analyst' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText('Changes saved.');
    expect(onUpdated).toHaveBeenCalledWith(expect.objectContaining({ jobTitle: 'Analyst' }));
    expect(screen.getByRole('dialog').textContent).toContain('Analyst');
  });

  it('asks before deleting, shows a failed delete, and closes on Escape', async () => {
    oneUser();
    const { onDeleted, onClose } = renderPanel();
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect(screen.getByRole('group', { name: 'Confirm deletion' }).textContent).toContain('Delete Ada Lovelace?');
    fireEvent.click(screen.getByRole('button', { name: 'Confirm delete' }));
    expect((await screen.findByRole('alert')).textContent).toBe('try again');
    expect(onDeleted).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('group', { name: 'Confirm deletion' })).toBeNull();
    fireEvent.keyDown(document, { key: 'Escape' });
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});
