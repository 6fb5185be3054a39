import type { ReactNode } from 'react';
import type { UserView } from '@userforge/contracts/browser';
import { formatDateTime } from './format';

/** One user's fields as a description list. */
export function UserDetails({ user }: { user: UserView }) {
  const rows: [label: string, value: ReactNode, className?: string][] = [
    ['Email', user.email],
    ['Username', user.username],
    ['Phone', user.phone],
    ['Gender', user.gender],
    ['Birth date', user.birthDate],
    ['Job title', user.jobTitle || '—'],
    ['Company', user.company || '—'],
    ['Address', `${user.address.street}, ${user.address.city}, ${user.address.country}`],
    ['Seq', user.seq.toLocaleString('en-US')],
    ['Created', formatDateTime(user.createdAt)],
    ['Last active', formatDateTime(user.lastActive)],
    ['Id', user.id, 'mono'],
  ];
  return (
    <dl className="details">
      {rows.map(([label, value, className]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd className={className}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
