import type { Counted } from '@userforge/contracts';

/** Hash fields as counts, largest first (ties by name, so the order is stable). */
export function ranked(hash: Record<string, string> | Map<string, number>, limit = Infinity): Counted[] {
  const entries = hash instanceof Map ? [...hash] : Object.entries(hash).map(([k, v]) => [k, Number(v)] as const);
  return entries
    .filter(([, n]) => n > 0)
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1))
    .slice(0, limit);
}
