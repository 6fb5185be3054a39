/** @jest-environment jsdom */
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { JobForm } from '../src/components/job-form';
import { validateJobForm } from '../src/components/validation';
import { aJob, jsonResponse, mockFetch } from './helpers';

const type = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });
const submit = () => fireEvent.click(screen.getByRole('button', { name: 'Start job' }));
const messageOf = (label: string) => {
  const input = screen.getByLabelText(label);
  const ids = (input.getAttribute('aria-describedby') ?? '').split(' ');
  return ids.map((id) => document.getElementById(id)).find((el) => el?.className === 'field-error')?.textContent ?? null;
};

describe('job form', () => {
  afterEach(() => jest.restoreAllMocks());

  it('asks for the number of users', () => {
    const fetch = mockFetch(() => undefined);
    render(<JobForm onStarted={jest.fn()} />);
    submit();
    expect(screen.getByText('Number of users is required.')).toBeTruthy();
    expect(screen.getByLabelText('Number of users').getAttribute('aria-invalid')).toBe('true');
    expect(messageOf('Number of users')).toBe('Number of users is required.');
    expect(document.activeElement).toBe(screen.getByLabelText('Number of users'));
    expect(fetch).not.toHaveBeenCalled();
  });

  it.each([
    ['0', 'Number of users must be between 1 and 1,000,000,000.'],
    ['1000000001', 'Number of users must be between 1 and 1,000,000,000.'],
    ['2.5', 'Number of users must be a whole number.'],
    ['ten', 'Number of users must be a whole number.'],
  ])('rejects %s users', (value, message) => {
    mockFetch(() => undefined);
    render(<JobForm onStarted={jest.fn()} />);
    type('Number of users', value);
    submit();
    expect(messageOf('Number of users')).toBe(message);
  });

  it('checks the optional seed and chunk size', () => {
    mockFetch(() => undefined);
    render(<JobForm onStarted={jest.fn()} />);
    type('Number of users', '1000');
    type('Seed (optional)', '4294967296');
    type('Chunk size (optional)', '99');
    submit();
    expect(messageOf('Seed (optional)')).toBe('Seed must be between 0 and 4,294,967,295.');
    expect(messageOf('Chunk size (optional)')).toBe('Chunk size must be between 100 and 100,000.');
    expect(messageOf('Number of users')).toBeNull();

    type('Chunk size (optional)', '100001');
    submit();
    expect(messageOf('Chunk size (optional)')).toBe('Chunk size must be between 100 and 100,000.');
  });

  it('clears a message once the field is edited', () => {
    mockFetch(() => undefined);
    render(<JobForm onStarted={jest.fn()} />);
    submit();
    expect(messageOf('Number of users')).not.toBeNull();
    type('Number of users', '5');
    expect(messageOf('Number of users')).toBeNull();
  });

  it('posts a valid job and hands the 202 answer over', async () => {
    const job = aJob({ state: 'publishing', progress: 0, count: 1_000_000, seed: 7, chunkSize: 5000 });
    const fetch = mockFetch((url, init) => (url.pathname === '/v1/jobs' && init?.method === 'POST' ? jsonResponse(202, job) : undefined));
    const onStarted = jest.fn();
    render(<JobForm onStarted={onStarted} />);
    type('Number of users', '1,000,000');
    type('Seed (optional)', '7');
    type('Chunk size (optional)', '5000');
    submit();
    await waitFor(() => expect(onStarted).toHaveBeenCalledWith(job));
    expect(JSON.parse(String(fetch.mock.calls[0]?.[1]?.body))).toEqual({ count: 1_000_000, seed: 7, chunkSize: 5000 });
    expect((screen.getByLabelText('Number of users') as HTMLInputElement).value).toBe('');
  });

  it("shows the API's message when it refuses the job", async () => {
    mockFetch(() => jsonResponse(400, { error: { code: 'validation_failed', message: 'count: count must be at most 50000000' } }));
    const onStarted = jest.fn();
    render(<JobForm onStarted={onStarted} />);
    type('Number of users', '60000000');
    submit();
    expect((await screen.findByRole('alert')).textContent).toBe('count: count must be at most 50000000');
    expect(onStarted).not.toHaveBeenCalled();
  });

  it('builds the request from the values (pure)', () => {
    expect(validateJobForm({ count: ' 10 ', seed: '', chunkSize: '' })).toEqual({ errors: {}, request: { count: 10 } });
    expect(validateJobForm({ count: '1', seed: '0', chunkSize: '100000' }).request).toEqual({ count: 1, seed: 0, chunkSize: 100000 });
    expect(validateJobForm({ count: '1', seed: '-1', chunkSize: '' }).errors.seed).toBe('Seed must be between 0 and 4,294,967,295.');
  });
});
