import type { FormEvent } from 'react';
import { MAX_CHUNK_SIZE, MAX_JOB_COUNT, MAX_SEED, MIN_CHUNK_SIZE, type JobView } from '@userforge/contracts/browser';
import { api } from '../api/client';
import { useForm } from '../hooks/use-form';
import { ErrorAlert } from './error-alert';
import { FieldGrid, type FieldSpec } from './field';
import { formatNumber } from './format';
import { validateJobForm, type JobField, type JobFormValues } from './validation';

const EMPTY: JobFormValues = { count: '', seed: '', chunkSize: '' };

const numeric = { inputMode: 'numeric', autoComplete: 'off' } as const;
const FIELDS: FieldSpec<JobField>[] = [
  { field: 'count', label: 'Number of users', ...numeric, required: true, hint: `1 to ${formatNumber(MAX_JOB_COUNT)}` },
  { field: 'seed', label: 'Seed (optional)', ...numeric, hint: `0 to ${formatNumber(MAX_SEED)}; the same seed makes the same users` },
  { field: 'chunkSize', label: 'Chunk size (optional)', ...numeric, hint: `${formatNumber(MIN_CHUNK_SIZE)} to ${formatNumber(MAX_CHUNK_SIZE)} users per chunk` },
];

/** Starts a generation job; the 202 answer is handed to `onStarted` so the job shows at once. */
export function JobForm({ onStarted }: { onStarted: (job: JobView) => void }) {
  const form = useForm<JobField>('job', EMPTY);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { errors, request } = validateJobForm(form.values);
    if (!form.accept(errors) || !request) return;
    await form.send(async () => {
      onStarted(await api.createJob(request));
      form.setValues(EMPTY);
    });
  };

  return (
    <form className="card form" onSubmit={submit} noValidate aria-label="Start a generation job">
      <FieldGrid fields={FIELDS} {...form.grid} />
      <ErrorAlert message={form.serverError} />
      <div className="actions">
        <button type="submit" disabled={form.busy}>
          Start job
        </button>
        {form.busy && <span role="status">Starting…</span>}
      </div>
    </form>
  );
}
