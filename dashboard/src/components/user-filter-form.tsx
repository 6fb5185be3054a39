import { useEffect, useState, type FormEvent } from 'react';
import { GENDERS } from '@userforge/contracts/browser';
import { DEFAULT_FILTERS, type UserFilters } from '../hooks/table-state';

const TEXT_FIELDS = [
  ['email', 'Email', 'exact address'],
  ['name', 'Name', 'first name, or first and last'],
  ['country', 'Country', 'e.g. France'],
  ['search', 'Search', 'start of the email'],
] as const;

export interface UserFilterFormProps {
  /** The filters of the view on screen; the inputs follow them when they change (back/forward, an edited link). */
  filters: UserFilters;
  /** Submit (the filters as typed) and clear (the defaults). */
  onApply: (filters: UserFilters) => void;
}

/** The users table's filters, applied on submit rather than as they are typed. */
export function UserFilterForm({ filters, onApply }: UserFilterFormProps) {
  const [draft, setDraft] = useState<UserFilters>(filters);
  const filtersKey = JSON.stringify(filters);
  useEffect(() => setDraft(JSON.parse(filtersKey) as UserFilters), [filtersKey]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    onApply(draft);
  };

  const clear = () => {
    setDraft(DEFAULT_FILTERS);
    onApply(DEFAULT_FILTERS);
  };

  return (
    <form className="card filters" onSubmit={apply} aria-label="Filters" noValidate>
      <div className="form-grid">
        {TEXT_FIELDS.map(([key, label, placeholder]) => (
          <div className="field" key={key}>
            <label htmlFor={`filter-${key}`}>{label}</label>
            <input
              id={`filter-${key}`}
              type={key === 'email' ? 'email' : 'text'}
              value={draft[key]}
              placeholder={placeholder}
              onChange={(e) => setDraft((d) => ({ ...d, [key]: e.target.value }))}
            />
          </div>
        ))}
        <div className="field">
          <label htmlFor="filter-gender">Gender</label>
          <select id="filter-gender" value={draft.gender} onChange={(e) => setDraft((d) => ({ ...d, gender: e.target.value as UserFilters['gender'] }))}>
            <option value="">any</option>
            {GENDERS.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="actions">
        <button type="submit">Apply filters</button>
        <button type="button" className="secondary" onClick={clear}>
          Clear filters
        </button>
      </div>
    </form>
  );
}
