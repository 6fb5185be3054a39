/**
 * The README and docs/ cannot rot silently: every `npm run` they name exists, every relative link
 * and #anchor resolves, no sentence calls an existing part planned, and the README stays a short
 * front door that links every page.
 */
import fs from 'node:fs';
import path from 'node:path';
import { anchors, isExternal, links, npmRuns, slug, stalePromises } from './markdown';

const ROOT = path.resolve(__dirname, '..', '..');
const README = path.join(ROOT, 'README.md');
const DOCS = path.join(ROOT, 'docs');
const README_MAX_LINES = 250;

function markdownFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return markdownFiles(p);
    return e.name.endsWith('.md') ? [p] : [];
  });
}

const PAGES = [README, ...markdownFiles(DOCS)];
const rel = (p: string) => path.relative(ROOT, p);
const read = (p: string) => fs.readFileSync(p, 'utf8');

interface PackageJson {
  name: string;
  scripts?: Record<string, string>;
  workspaces?: string[];
}
const readPackage = (dir: string) => JSON.parse(read(path.join(dir, 'package.json'))) as PackageJson;
const rootPackage = readPackage(ROOT);

/** The workspaces by folder (`dashboard`) and by name (`@userforge/dashboard`), as `-w` takes either. */
const workspaces = new Map<string, PackageJson>();
for (const pattern of rootPackage.workspaces ?? []) {
  const dirs = pattern.endsWith('/*')
    ? fs.readdirSync(path.join(ROOT, pattern.slice(0, -2)), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(pattern.slice(0, -2), e.name))
    : [pattern];
  for (const dir of dirs) {
    if (!fs.existsSync(path.join(ROOT, dir, 'package.json'))) continue;
    const pkg = readPackage(path.join(ROOT, dir));
    workspaces.set(dir, pkg);
    workspaces.set(`./${dir}`, pkg);
    workspaces.set(pkg.name, pkg);
  }
}

const hasScript = (pkg: PackageJson, script: string) =>
  script.endsWith('*') ? Object.keys(pkg.scripts ?? {}).some((s) => s.startsWith(script.slice(0, -1))) : Object.hasOwn(pkg.scripts ?? {}, script);

describe('the docs helpers', () => {
  it("make GitHub's anchors, numbering repeated headings", () => {
    expect(slug('Kubernetes control plane (`--kube`)')).toBe('kubernetes-control-plane---kube');
    expect(slug("The original system's routes")).toBe('the-original-systems-routes');
    expect(slug('With Docker and internet access: plain kind')).toBe('with-docker-and-internet-access-plain-kind');
    expect([...anchors('# A\n## Tests\n```\n# not a heading\n```\n## Tests\n### Tests ##\n')]).toEqual(['a', 'tests', 'tests-1', 'tests-2']);
  });

  it('find links outside code, and npm scripts inside code too', () => {
    const text = 'See [a](a.md#x) and `[b](b.md)`.\n```sh\n[c](c.md)\nnpm run kind:up && npm run build -w dashboard\n```\nnpm run stack:up -- --apps -w x\n';
    expect(links(text).map((l) => l.target)).toEqual(['a.md#x']);
    expect(npmRuns(text)).toEqual([
      { line: 4, script: 'kind:up' },
      { line: 4, script: 'build', workspace: 'dashboard' },
      { line: 6, script: 'stack:up' },
    ]);
  });

  it('flag a sentence calling an existing part planned, and leave plain uses of the words alone', () => {
    expect(stalePromises('The operator is planned, not built yet.')).toHaveLength(1);
    expect(stalePromises('Intro.\nThe Helm chart and the operator are next; they are\ndescribed below.')).toHaveLength(1);
    expect(stalePromises('The jobs slice (API and, later, the Kubernetes operator).')).toHaveLength(1);
    expect(stalePromises('The operator scales the consumers. The next page is cached.\n\n```\nthe operator is planned\n```\n')).toEqual([]);
  });
});

describe.each(PAGES.map((p) => [rel(p), p]))('%s', (_name, file) => {
  const text = read(file);

  it('names only npm scripts that exist', () => {
    const missing = npmRuns(text)
      .filter((r) => {
        const pkg = r.workspace ? workspaces.get(r.workspace) : rootPackage;
        return !pkg || !hasScript(pkg, r.script);
      })
      .map((r) => `line ${r.line}: npm run ${r.script}${r.workspace ? ` -w ${r.workspace}` : ''}`);
    expect(missing).toEqual([]);
  });

  it('links only files and anchors that exist', () => {
    const broken: string[] = [];
    for (const { line, target } of links(text)) {
      if (isExternal(target)) continue;
      const [filePart = '', anchor] = target.split('#');
      const targetFile = filePart === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(filePart));
      if (!fs.existsSync(targetFile)) {
        broken.push(`line ${line}: ${target} (no such file)`);
      } else if (anchor !== undefined && targetFile.endsWith('.md') && !anchors(read(targetFile)).has(anchor)) {
        broken.push(`line ${line}: ${target} (no heading with that anchor in ${rel(targetFile)})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('calls no existing part planned or missing', () => {
    expect(stalePromises(text).map((s) => `line ${s.line}: ${s.text}`)).toEqual([]);
  });
});

describe('README.md', () => {
  it(`is a front door of at most ${README_MAX_LINES} lines`, () => {
    expect(read(README).replace(/\n$/, '').split('\n').length).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('links every page of docs/', () => {
    const linked = new Set(links(read(README)).map((l) => path.resolve(ROOT, l.target.split('#')[0]!)));
    expect(markdownFiles(DOCS).filter((p) => !linked.has(p)).map(rel)).toEqual([]);
  });
});
