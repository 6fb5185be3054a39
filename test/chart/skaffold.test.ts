/**
 * skaffold.yaml, checked by skaffold itself without a container engine or a cluster: it parses
 * against skaffold's schema with each profile applied (`diagnose --yaml-only`), and `render
 * --offline` installs the chart's templates (through the cached Helm) with the images skaffold would
 * build: four Deployments, each running its own target of the Dockerfile.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { toolHome, REPO_ROOT, loadStackSettings } from '@userforge/devstack';
import { helmBinary, podSpec, type K8sObject } from './helm';

const COMPONENTS = ['api', 'consumer', 'operator', 'dashboard'] as const;
const DEFAULT_REPO = 'registry.example.org';
/** kind names a cluster's context kind-<name>; k8s/kind-config.yaml names the cluster userforge. */
const KIND_CONTEXT = 'kind-userforge';
const OTHER_CONTEXT = 'production';

/** The skaffold binary `stack:provision -- --kube` builds; missing, the tests fail with how to get it. */
function skaffoldBinary(): string {
  const { bin, version } = toolHome(loadStackSettings(), 'skaffold');
  if (!fs.existsSync(bin)) {
    throw new Error(
      `skaffold v${version} is not built: ${bin} is missing. Build it with ` +
        '`npm run stack:provision -- --kube` (scripts/bootstrap.sh does), then run the chart tests again.',
    );
  }
  return bin;
}

let home = '';

/**
 * A kubeconfig whose current context is `name`: profiles activate on the current context, and
 * `render` and `diagnose` take no --kube-context. Its server is a closed loopback port; nothing
 * connects to a cluster.
 */
function kubeconfig(name: string): string {
  const file = path.join(home, `kubeconfig-${name}`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: 'https://127.0.0.1:1' } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    users: [{ name, user: {} }],
    'current-context': name,
  };
  fs.writeFileSync(file, yaml.dump(config));
  return file;
}

beforeAll(() => {
  // A HOME of its own: skaffold's global config there turns off the update check, metrics and the
  // survey, and nothing of the user's is read or written.
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-skaffold-'));
  const global = { global: { 'update-check': false, 'collect-metrics': false, survey: { 'disable-prompt': true } } };
  fs.mkdirSync(path.join(home, '.skaffold'));
  fs.writeFileSync(path.join(home, '.skaffold', 'config'), yaml.dump(global));
});

afterAll(() => {
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

function skaffold(context: string, args: string[]): string {
  const r = spawnSync(skaffoldBinary(), [...args, '--update-check=false'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env,
      // `render` runs `helm template`: the cached Helm comes first on PATH.
      PATH: [path.dirname(helmBinary()), process.env.PATH].join(path.delimiter),
      HOME: home,
      KUBECONFIG: kubeconfig(context),
    },
  });
  if (r.status !== 0) throw new Error(`skaffold ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

interface Release {
  name: string;
  chartPath: string;
  valuesFiles: string[];
  setValues?: Record<string, string>;
  setValueTemplates: Record<string, string>;
}
interface EffectiveConfig {
  apiVersion: string;
  build: { artifacts: { image: string; docker: { dockerfile: string; target: string } }[]; local: { push?: boolean } };
  deploy: { helm: { releases: Release[] } };
  portForward?: { resourceName: string; port: number; localPort: number }[];
}

/** The configuration skaffold runs with once the profiles that apply are merged in. */
const effective = (context: string, profileArgs: string[] = []): EffectiveConfig =>
  yaml.load(skaffold(context, ['diagnose', '--yaml-only', ...profileArgs])) as EffectiveConfig;

/** The manifests `skaffold run` would apply, with the tags it would give the images, built by nothing. */
const render = (context: string, profileArgs: string[] = []): K8sObject[] =>
  yaml
    .loadAll(skaffold(context, ['render', '--offline', '--digest-source=tag', ...profileArgs]))
    .filter((d): d is K8sObject => !!d && typeof d === 'object');

/** The Dockerfile's build targets, read from its `FROM ... AS <target>` lines. */
const dockerfileTargets = () => [...fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8').matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);

/** The Deployments' images, by component: one tag for all four, from the tag policy (the commit). */
function imagesOf(objects: K8sObject[]): Map<string, { image: string; pullPolicy: unknown }> {
  const byName = new Map(objects.filter((o) => o.kind === 'Deployment').map((o) => [o.metadata.name, o]));
  return new Map(
    COMPONENTS.map((c) => {
      const d = byName.get(`userforge-${c}`);
      if (!d) throw new Error(`no Deployment userforge-${c} in ${[...byName.keys()].join(', ')}`);
      const [container] = podSpec(d).containers;
      return [c, { image: String(container?.image), pullPolicy: container?.imagePullPolicy }];
    }),
  );
}

const GIT_TAG = '[0-9a-f]{7,40}(-dirty)?';

describe('skaffold.yaml on a kind context (the kind profile activates itself)', () => {
  it("parses against skaffold's latest schema and builds one Dockerfile target per chart image, unpushed", () => {
    const config = effective(KIND_CONTEXT);
    expect(config.apiVersion).toBe('skaffold/v4beta13');
    expect(config.build.artifacts.map((a) => [a.image, a.docker.target])).toEqual(COMPONENTS.map((c) => [`userforge/${c}`, c]));
    for (const a of config.build.artifacts) expect(dockerfileTargets()).toContain(a.docker.target);
    expect(config.build.local.push).toBe(false);
    const [release] = config.deploy.helm.releases;
    expect(release?.chartPath).toBe(path.join(REPO_ROOT, 'charts', 'userforge'));
    expect(release?.valuesFiles).toEqual([path.join(REPO_ROOT, 'charts', 'userforge', 'values-dev.yaml')]);
    expect(release?.setValues).toEqual({ 'image.registry': '', 'image.pullPolicy': 'Never' });
    // By tag, never `tag@digest`: images loaded into kind are not pushed, so no registry digest
    // exists that the node's containerd could resolve.
    expect(release?.setValueTemplates).toEqual(
      Object.fromEntries(COMPONENTS.flatMap((c) => [[`${c}.image.repository`, `{{.IMAGE_REPO_userforge_${c}}}`], [`${c}.image.tag`, `{{.IMAGE_TAG_userforge_${c}}}`]])),
    );
    expect(config.portForward?.map((p) => [p.resourceName, p.port, p.localPort])).toEqual([
      ['userforge-dashboard', 80, 4200],
      ['userforge-api', 9000, 9000],
    ]);
  });

  it('renders the chart with values-dev.yaml and the four images skaffold tags, never pulled', () => {
    const objects = render(KIND_CONTEXT);
    const images = imagesOf(objects);
    const tags = new Set([...images.values()].map((i) => i.image.split(':')[1]));
    expect(tags.size).toBe(1);
    for (const c of COMPONENTS) {
      expect(images.get(c)?.image).toMatch(new RegExp(`^userforge/${c}:${GIT_TAG}$`));
      expect(images.get(c)?.pullPolicy).toBe('Never');
    }
    // The Services port-forward names, and values-dev.yaml's in-chart servers, are in the release.
    for (const name of ['userforge-api', 'userforge-dashboard']) expect(objects.some((o) => o.kind === 'Service' && o.metadata.name === name)).toBe(true);
    expect(objects.some((o) => o.kind === 'StatefulSet' && /kafka/.test(o.metadata.name))).toBe(true);
  });
});

describe('skaffold.yaml with the production profile', () => {
  const production = ['--profile', 'production'];

  it('pushes, uses values-production.yaml and forwards no ports', () => {
    const config = effective(OTHER_CONTEXT, production);
    expect(config.build.local.push).toBe(true);
    expect(config.deploy.helm.releases[0]?.valuesFiles).toEqual([path.join(REPO_ROOT, 'charts', 'userforge', 'values-production.yaml')]);
    expect(config.portForward ?? []).toEqual([]);
  });

  it('lets images be pulled even on a kind context, where the kind profile also applies', () => {
    expect(effective(KIND_CONTEXT, production).deploy.helm.releases[0]?.setValues?.['image.pullPolicy']).toBe('IfNotPresent');
  });

  it('renders the four Deployments with images under --default-repo, the registry not prepended twice', () => {
    const images = imagesOf(render(OTHER_CONTEXT, [...production, '--default-repo', DEFAULT_REPO]));
    for (const c of COMPONENTS) {
      // --default-repo joins the image name onto the registry with `_` for `/`.
      expect(images.get(c)?.image).toMatch(new RegExp(`^${DEFAULT_REPO.replace(/\./g, '\\.')}/userforge_${c}:${GIT_TAG}$`));
      expect(images.get(c)?.pullPolicy).toBe('IfNotPresent');
    }
  });
});
