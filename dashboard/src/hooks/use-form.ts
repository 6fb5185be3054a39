import { useState } from 'react';
import { errorMessage } from '../api/client';
import type { FieldErrors } from '../components/validation';

/**
 * The state both forms keep: the values as typed, an error per field that clears once the field is
 * edited, the API's message, and a busy flag while the request runs. Field ids are `${idPrefix}-${field}`.
 */
export function useForm<K extends string>(idPrefix: string, initial: Record<K, string> | (() => Record<K, string>)) {
  const [values, setValues] = useState<Record<K, string>>(initial);
  const [errors, setErrors] = useState<FieldErrors<K>>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const change = (field: K, value: string) => {
    setValues((v) => ({ ...v, [field]: value }));
    if (errors[field]) setErrors((er) => ({ ...er, [field]: undefined }));
  };

  /** Shows what the client-side check found and focuses the first field in error; true when it found nothing. */
  const accept = (found: FieldErrors<K>): boolean => {
    setErrors(found);
    setServerError(null);
    const first = (Object.keys(found) as K[])[0];
    if (first) document.getElementById(`${idPrefix}-${first}`)?.focus();
    return first === undefined;
  };

  /** Runs `request` with the busy flag up; a failure becomes the form's message, after `onError` has seen it. */
  const send = async (request: () => Promise<void>, onError?: (error: unknown) => void) => {
    setBusy(true);
    try {
      await request();
    } catch (error) {
      onError?.(error);
      setServerError(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };

  /** What `FieldGrid` needs to show and edit the values, with the same ids as `accept` focuses. */
  const grid = { idPrefix, values, errors, onChange: change };

  return { values, setValues, setErrors, serverError, busy, accept, send, grid };
}
