import type { FormEvent } from 'react';
import type { UpdateUserRequest, UserView } from '@userforge/contracts/browser';
import { api, ApiError } from '../api/client';
import { useForm } from '../hooks/use-form';
import { ErrorAlert } from './error-alert';
import { FieldGrid, type FieldSpec } from './field';
import { USER_EDIT_LABELS, validateUserEdit, type UserEditField, type UserEditValues } from './validation';

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

const FIELDS: FieldSpec<UserEditField>[] = (Object.keys(USER_EDIT_LABELS) as UserEditField[]).map((field) => ({
  field,
  label: USER_EDIT_LABELS[field],
  type: field === 'email' ? 'email' : 'text',
  required: true,
  autoComplete: 'off',
}));

export interface UserEditFormProps {
  user: UserView;
  onSaved: (user: UserView) => void;
  onCancel: () => void;
}

export function UserEditForm({ user, onSaved, onCancel }: UserEditFormProps) {
  const form = useForm<UserEditField>('edit', () => valuesOf(user));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!form.accept(validateUserEdit(form.values))) return;
    const changes = changesOf(user, form.values);
    if (Object.keys(changes).length === 0) {
      onSaved(user);
      return;
    }
    await form.send(
      async () => onSaved(await api.updateUser(user.id, changes)),
      (error) => {
        if (error instanceof ApiError && error.code === 'email_taken') form.setErrors({ email: error.message });
      },
    );
  };

  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Edit user">
      <FieldGrid fields={FIELDS} {...form.grid} />
      <ErrorAlert message={form.serverError} />
      <div className="actions">
        <button type="submit" disabled={form.busy}>
          Save
        </button>
        <button type="button" className="secondary" onClick={onCancel} disabled={form.busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
