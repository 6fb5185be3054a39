import { useSyncExternalStore } from 'react';

export interface HashRoute {
  /** `/`, `/users`, `/jobs` … */
  path: string;
  /** The query string after `?`, without it. */
  query: string;
}

export function parseHash(hash: string): HashRoute {
  const raw = hash.replace(/^#/, '');
  const at = raw.indexOf('?');
  const path = (at === -1 ? raw : raw.slice(0, at)) || '/';
  return { path: path.startsWith('/') ? path : `/${path}`, query: at === -1 ? '' : raw.slice(at + 1) };
}

export function hashFor(path: string, query = ''): string {
  return `#${path}${query ? `?${query}` : ''}`;
}

const subscribe = (onChange: () => void) => {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
};
const getHash = () => window.location.hash;

/** The current hash route; re-renders on back/forward and on `navigate`. */
export function useHashRoute(): HashRoute {
  const hash = useSyncExternalStore(subscribe, getHash, () => '');
  return parseHash(hash);
}

/** Goes to a hash route, adding a history entry (so Back returns to the previous view). */
export function navigate(path: string, query = ''): void {
  const next = hashFor(path, query);
  if (window.location.hash !== next) window.location.hash = next;
}
