/** @jest-environment jsdom */
import { fireEvent, render, screen } from '@testing-library/react';
import { JobCard } from '../src/components/job-card';
import { formatEta } from '../src/components/format';
import { aJob } from './helpers';

const within = (job: { id: string }) => screen.getByRole('article', { name: `Job ${job.id}` });

describe('job progress', () => {
  it('renders a progressbar with the rounded percentage', () => {
    const job = aJob({ progress: 0.4567 });
    render(<JobCard job={job} onCancel={jest.fn()} />);
    const bar = screen.getByRole('progressbar', { name: `Job ${job.id} progress` });
    expect(bar.getAttribute('aria-valuemin')).toBe('0');
    expect(bar.getAttribute('aria-valuemax')).toBe('100');
    expect(bar.getAttribute('aria-valuenow')).toBe('46');
  });

  it('shows state, users stored, speed, ETA and chunks', () => {
    const job = aJob({ usersStored: 4000, count: 10_000, usersPerSec: 2499.6, etaSeconds: 125, chunksDone: 4, chunksTotal: 10 });
    render(<JobCard job={job} onCancel={jest.fn()} />);
    const text = within(job).textContent ?? '';
    expect(text).toContain('running');
    expect(text).toContain('4,000 / 10,000');
    expect(text).toContain('2,500 users/s');
    expect(text).toContain('ETA2 min 5 s');
    expect(text).toContain('Chunks4 / 10');
  });

  it('cancels an active job and only dismisses a finished one', () => {
    const onCancel = jest.fn();
    const job = aJob();
    const { rerender } = render(<JobCard job={job} onCancel={onCancel} onDismiss={jest.fn()} />);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onCancel).toHaveBeenCalledWith(job.id);

    const done = aJob({ state: 'succeeded', progress: 1, usersStored: 10_000, etaSeconds: null, chunksDone: 10 });
    rerender(<JobCard job={done} onCancel={onCancel} onDismiss={jest.fn()} />);
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    expect(within(done).textContent).toContain('ETA—');
  });

  it("links a download of the job's users per format, at the API the dashboard uses", () => {
    const job = aJob();
    render(<JobCard job={job} onCancel={jest.fn()} />);
    const links = screen.getByRole('group', { name: `Download the users of job ${job.id}` }).querySelectorAll('a');
    expect([...links].map((a) => [a.textContent, a.getAttribute('href'), a.hasAttribute('download')])).toEqual([
      ['NDJSON', `http://localhost:9000/v1/jobs/${job.id}/users?format=ndjson`, true],
      ['CSV', `http://localhost:9000/v1/jobs/${job.id}/users?format=csv`, true],
    ]);
  });

  it('formats ETAs for people', () => {
    expect(formatEta(null)).toBe('—');
    expect(formatEta(0)).toBe('0 s');
    expect(formatEta(2.4)).toBe('2 s');
    expect(formatEta(59.6)).toBe('1 min');
    expect(formatEta(125)).toBe('2 min 5 s');
    expect(formatEta(3600)).toBe('1 h');
    expect(formatEta(3 * 3600 + 7 * 60 + 9)).toBe('3 h 7 min');
  });
});
