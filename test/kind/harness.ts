/**
 * What the tests on kind stand on: kubectl and helm against the cluster of one kubeconfig, and the
 * run's record of command outputs (test-results/, which the docs quote).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { installedKubernetes } from '@userforge/devstack';
import { REPO_ROOT, type StackSettings } from '@userforge/devstack';
import { helmBinary } from '../chart/helm';

export const RESULTS = path.join(REPO_ROOT, 'test-results');

export interface Run {
  code: number;
  out: string;
  err: string;
}

/** kubectl, helm and JSON reads against the cluster of one kubeconfig. */
export function kubeClient(kubeconfig: string, s: StackSettings) {
  const kube = installedKubernetes(s);
  if (!kube) throw new Error('Kubernetes is not built: run `npm run stack:provision -- --kube` once (it builds into the cache).');
  const run = (bin: string, args: string[], input?: string, timeout = 120_000): Run => {
    const r = spawnSync(bin, args, { input, encoding: 'utf8', timeout, cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status ?? 1, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
  };
  const kubectl = (args: string[], input?: string) => run(kube.bin('kubectl'), ['--kubeconfig', kubeconfig, ...args], input);
  const helm = (args: string[], timeout = 900_000) => run(helmBinary(), ['--kubeconfig', kubeconfig, ...args], undefined, timeout);
  const ok = (r: Run, what: string) => {
    if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.err || r.out}`);
    return r.out;
  };
  const json = <T>(args: string[]): T => JSON.parse(ok(kubectl([...args, '-o', 'json']), `kubectl ${args.join(' ')}`)) as T;
  return { kubeconfig, kubectlBin: kube.bin('kubectl'), kubectl, helm, ok, json, apply: (o: object) => ok(kubectl(['apply', '-f', '-'], yaml.dump(o)), 'kubectl apply') };
}

/** Appends a titled command output to the run's record (the README quotes it). */
export function record(file: string, title: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, `# ${title} (${new Date().toISOString()})\n${text.trimEnd()}\n\n`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
