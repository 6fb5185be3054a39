import type { InputHTMLAttributes } from 'react';
import type { FieldErrors } from './validation';

interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> {
  id: string;
  label: string;
  error?: string;
  hint?: string;
}

/** A labelled input with its hint and error message tied to it for screen readers. */
export function Field({ id, label, error, hint, ...input }: FieldProps) {
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {error && (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </div>
  );
}

/** One field of a form: its key in the form's values, and how its input looks. */
export interface FieldSpec<K extends string> extends Omit<FieldProps, 'id' | 'value' | 'error' | 'onChange'> {
  field: K;
}

export interface FieldGridProps<K extends string> {
  /** Inputs get the id `${idPrefix}-${field}`. */
  idPrefix: string;
  fields: readonly FieldSpec<K>[];
  values: Record<K, string>;
  errors: FieldErrors<K>;
  onChange: (field: K, value: string) => void;
}

/** A form's text fields in its grid, each showing its value and error. */
export function FieldGrid<K extends string>({ idPrefix, fields, values, errors, onChange }: FieldGridProps<K>) {
  return (
    <div className="form-grid">
      {fields.map(({ field, ...input }) => (
        <Field key={field} id={`${idPrefix}-${field}`} {...input} value={values[field]} error={errors[field]} onChange={(e) => onChange(field, e.target.value)} />
      ))}
    </div>
  );
}
