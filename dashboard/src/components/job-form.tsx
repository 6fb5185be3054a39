import { useState, type FormEvent } from 'react';
import type { JobView } from '@userforge/contracts';
import { api, errorMessage } from '../api/client';
import { Field } from './field';
import { validateJobForm, type FieldErrors, type JobField, type JobFormValues } from './validation';

const EMPTY: JobFormValues = { count: '', seed: '', chunkSize: '' };

/** Starts a generation job; the 202 answer is handed to `onStarted` so the job shows at once. */
export function JobForm({ onStarted }: { onStarted: (job: JobView) => void }) {
  const [values, setValues] = useState<JobFormValues>(EMPTY);
  const [errors, setErrors] = useState<FieldErrors<JobField>>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);

  const change = (field: JobField) => (e: { target: { value: string } }) => {
    setValues((v) => ({ ...v, [field]: e.target.value }));
    if (errors[field]) setErrors((er) => ({ ...er, [field]: undefined }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { errors: found, request } = validateJobForm(values);
    setErrors(found);
    setServerError(null);
    if (!request) {
      const first = (Object.keys(found) as JobField[])[0];
      if (first) document.getElementById(`job-${first}`)?.focus();
      return;
    }
    setSubmitting(true);
    try {
      const job = await api.createJob(request);
      onStarted(job);
      setValues(EMPTY);
    } catch (error) {
      setServerError(errorMessage(error));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <form className="card form" onSubmit={submit} noValidate aria-label="Start a generation job">
      <div className="form-grid">
        <Field
          id="job-count"
          label="Number of users"
          inputMode="numeric"
          autoComplete="off"
          required
          value={values.count}
          onChange={change('count')}
          error={errors.count}
          hint="1 to 1,000,000,000"
        />
        <Field
          id="job-seed"
          label="Seed (optional)"
          inputMode="numeric"
          autoComplete="off"
          value={values.seed}
          onChange={change('seed')}
          error={errors.seed}
          hint="0 to 4,294,967,295; the same seed makes the same users"
        />
        <Field
          id="job-chunkSize"
          label="Chunk size (optional)"
          inputMode="numeric"
          autoComplete="off"
          value={values.chunkSize}
          onChange={change('chunkSize')}
          error={errors.chunkSize}
          hint="100 to 100,000 users per chunk"
        />
      </div>
      {serverError && (
        <p className="form-error" role="alert">
          {serverError}
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={submitting}>
          Start job
        </button>
        {submitting && <span role="status">Starting…</span>}
      </div>
    </form>
  );
}
