import { spawnSync } from 'node:child_process';

/**
 * The node's iptables chains: kube-proxy's and the kubelet's `KUBE-*`, the CNI plugins' `CNI-*`.
 * `cluster:down` deletes those that were not there before `cluster:up`, with the rules that jump to
 * them from the built-in chains, and touches nothing else.
 */
export const IPTABLES = ['iptables', 'ip6tables'] as const;
export const TABLES = ['filter', 'nat', 'mangle', 'raw'] as const;
export type Chains = Record<string, string[]>;

const OURS = /^(KUBE-|CNI-)/;

function run(cmd: string, args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, ['-w', '5', ...args], { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout ?? '', err: (r.stderr ?? '').trim() };
}

/** Splits a line of `iptables -S` into arguments; comments come back double-quoted. */
export function splitRule(line: string): string[] {
  const args: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) args.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return args;
}

/** The chains `-S` declares (`-N X`) plus the built-in ones (`-P X ACCEPT`). */
export function chainsOf(rules: string): string[] {
  return rules
    .split('\n')
    .map(splitRule)
    .filter((a) => a[0] === '-N' || a[0] === '-P')
    .map((a) => a[1]!);
}

/**
 * What to run to remove `created` chains from a table, given its `-S` listing: first the rules in
 * other chains that jump to them, then flush each, then delete each.
 */
export function removalCommands(rules: string, created: Set<string>): string[][] {
  const jumps = rules
    .split('\n')
    .map(splitRule)
    .filter((a) => a[0] === '-A' && !created.has(a[1]!))
    .filter((a) => a.some((x, i) => (x === '-j' || x === '-g') && created.has(a[i + 1]!)))
    .map((a) => ['-D', ...a.slice(1)]);
  return [...jumps, ...[...created].map((c) => ['-F', c]), ...[...created].map((c) => ['-X', c])];
}

/** Every chain of every table, per tool (`iptables:nat` → chains); a table the kernel lacks is left out. */
export function listChains(): Chains {
  const out: Chains = {};
  for (const tool of IPTABLES) {
    for (const table of TABLES) {
      const r = run(tool, ['-t', table, '-S']);
      if (r.ok) out[`${tool}:${table}`] = chainsOf(r.out);
    }
  }
  return out;
}

/** Deletes the `KUBE-*`/`CNI-*` chains absent from `before`; returns what it removed, and what it could not. */
export function removeCreatedChains(before: Chains): { removed: string[]; failed: string[] } {
  const removed: string[] = [];
  const failed: string[] = [];
  for (const tool of IPTABLES) {
    for (const table of TABLES) {
      const key = `${tool}:${table}`;
      const listing = run(tool, ['-t', table, '-S']);
      if (!listing.ok) continue;
      const had = new Set(before[key] ?? []);
      const created = new Set(chainsOf(listing.out).filter((c) => OURS.test(c) && !had.has(c)));
      if (created.size === 0) continue;
      for (const args of removalCommands(listing.out, created)) {
        const r = run(tool, ['-t', table, ...args]);
        if (!r.ok) failed.push(`${key} ${args.join(' ')}: ${r.err}`);
      }
      removed.push(...[...created].map((c) => `${key}/${c}`));
    }
  }
  return { removed, failed };
}
