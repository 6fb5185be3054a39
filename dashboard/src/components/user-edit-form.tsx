import { useState, type FormEvent } from 'react';
import type { UpdateUserRequest, UserView } from '@userforge/contracts';
import { api, ApiError, errorMessage } from '../api/client';
import { Field } from './field';
import { USER_EDIT_LABELS, validateUserEdit, type FieldErrors, type UserEditField, type UserEditValues } from './validation';

export function valuesOf(user: UserView): UserEditValues {
  return {
    firstName: user.name.first,
    lastName: user.name.last,
    email: user.email,
    jobTitle: user.jobTitle,
    city: user.address.city,
    country: user.address.country,
  };
}

/** Only the groups that changed: PATCH rejects nothing it may change, but sends less. */
export function changesOf(user: UserView, values: UserEditValues): UpdateUserRequest {
  const v = Object.fromEntries(Object.entries(values).map(([k, s]) => [k, s.trim()])) as unknown as UserEditValues;
  const changes: UpdateUserRequest = {};
  if (v.firstName !== user.name.first || v.lastName !== user.name.last) changes.name = { first: v.firstName, last: v.lastName };
  if (v.email.toLowerCase() !== user.email) changes.email = v.email;
  if (v.jobTitle !== user.jobTitle) changes.jobTitle = v.jobTitle;
  if (v.city !== user.address.city || v.country !== user.address.country) {
    changes.address = { street: user.address.street, city: v.city, country: v.country };
  }
  return changes;
}

const FIELDS: { field: UserEditField; autoComplete: string; type?: string }[] = [
  { field: 'firstName', autoComplete: 'off' },
  { field: 'lastName', autoComplete: 'off' },
  { field: 'email', autoComplete: 'off', type: 'email' },
  { field: 'jobTitle', autoComplete: 'off' },
  { field: 'city', autoComplete: 'off' },
  { field: 'country', autoComplete: 'off' },
];

export interface UserEditFormProps {
  user: UserView;
  onSaved: (user: UserView) => void;
  onCancel: () => void;
}

export function UserEditForm({ user, onSaved, onCancel }: UserEditFormProps) {
  const [values, setValues] = useState<UserEditValues>(() => valuesOf(user));
  const [errors, setErrors] = useState<FieldErrors<UserEditField>>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found = validateUserEdit(values);
    setErrors(found);
    setServerError(null);
    const first = (Object.keys(found) as UserEditField[])[0];
    if (first) {
      document.getElementById(`edit-${first}`)?.focus();
      return;
    }
    const changes = changesOf(user, values);
    if (Object.keys(changes).length === 0) {
      onSaved(user);
      return;
    }
    setSaving(true);
    try {
      onSaved(await api.updateUser(user.id, changes));
    } catch (error) {
      if (error instanceof ApiError && error.code === 'email_taken') setErrors({ email: error.message });
      setServerError(errorMessage(error));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Edit user">
      <div className="form-grid">
        {FIELDS.map(({ field, autoComplete, type }) => (
          <Field
            key={field}
            id={`edit-${field}`}
            label={USER_EDIT_LABELS[field]}
            type={type ?? 'text'}
            required
            autoComplete={autoComplete}
            value={values[field]}
            error={errors[field]}
            onChange={(e) => {
              const value = e.target.value;
              setValues((v) => ({ ...v, [field]: value }));
              if (errors[field]) setErrors((er) => ({ ...er, [field]: undefined }));
            }}
          />
        ))}
      </div>
      {serverError && (
        <p className="form-error" role="alert">
          {serverError}
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={saving}>
          Save
        </button>
        <button type="button" className="secondary" onClick={onCancel} disabled={saving}>
          Cancel
        </button>
      </div>
    </form>
  );
}
