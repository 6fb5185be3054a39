/** The decisions of the kind tooling in tools/devstack (pure): the generated kind config, the node's manifests, readiness, the engine's cgroup mounts. */
import fs from 'node:fs';
import yaml from 'js-yaml';
import { KIND_CONFIG } from '@userforge/devstack';
import { cgroupMounts, namespaceSetup } from '@userforge/devstack';
import { cniConfig, localKindConfig, networkManifest, nodeImageRefs, storageManifest } from '@userforge/devstack';
import { clusterProblems } from '@userforge/devstack';
import { criBaseSpec, entrypointGuard } from '@userforge/devstack';
import { patchQueueExpressions } from '@userforge/devstack';

const refs = nodeImageRefs({ kube: '1.33.13', etcd: '3.5.23', coredns: '1.14.7', networkPolicies: '0.8.0', localPath: '0.0.30' });

describe('the local kind config', () => {
  const base = fs.readFileSync(KIND_CONFIG, 'utf8');
  const local = yaml.load(localKindConfig(base, { apiServerAddress: '10.214.0.2', apiServerPort: 6443, refs })) as Record<string, any>;

  it('keeps k8s/kind-config.yaml and publishes the API server on the engine address', () => {
    const original = yaml.load(base) as Record<string, any>;
    expect(local.name).toBe(original.name);
    expect(local.nodes).toEqual(original.nodes);
    expect(local.networking).toEqual({ apiServerAddress: '10.214.0.2', apiServerPort: 6443 });
  });

  it('points kubeadm at the local images with the etcd and CoreDNS versions built', () => {
    const patch = yaml.load(local.kubeadmConfigPatches.at(-1)) as Record<string, any>;
    expect(patch).toEqual({
      kind: 'ClusterConfiguration',
      imageRepository: 'localhost/userforge',
      etcd: { local: { imageRepository: 'localhost/userforge', imageTag: '3.5.23' } },
      dns: { imageRepository: 'localhost/userforge', imageTag: 'v1.14.7' },
    });
    // kubeadm names CoreDNS `<repository>/coredns:<tag>`: the image tools/devstack/src/kind/images.ts builds.
    expect(`${patch.dns.imageRepository}/coredns:${patch.dns.imageTag}`).toBe(refs.coredns);
  });
});

describe('the node manifests', () => {
  it('lets kind template the pod subnet into the CNI configuration', () => {
    const text = networkManifest(refs);
    expect(text.startsWith('# would you kindly template this file')).toBe(true);
    expect(text).toContain('{{ .PodSubnet }}');
    expect(JSON.stringify(cniConfig('10.244.0.0/16'))).toContain('"type":"ptp"');
  });

  it('makes local-path the default StorageClass standard, with local images', () => {
    const upstream = [
      yaml.dump({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-path' }, provisioner: 'rancher.io/local-path' }),
      yaml.dump({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'p' }, spec: { template: { spec: { containers: [{ name: 'p', image: 'x/local-path-provisioner:v0.0.30' }] } } } }),
      yaml.dump({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'config.json': '{"nodePathMap":[]}', 'helperPod.yaml': 'spec:\n  containers:\n  - image: busybox\n' } }),
    ].join('---\n');
    const docs = yaml.loadAll(storageManifest(upstream, refs)) as Record<string, any>[];
    expect(docs[0]!.metadata).toEqual({ name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } });
    expect(docs[1]!.spec.template.spec.containers[0].image).toBe(refs.localPath);
    expect(docs[2]!.data['helperPod.yaml']).toContain(`image: ${refs.busybox}`);
  });

  it('guards the host kernel settings and adds kind\'s hook to the base spec', () => {
    expect(entrypointGuard()).toContain('mount -o remount,bind,ro "/proc/sys/$d"');
    const spec = JSON.parse(criBaseSpec(JSON.stringify({ process: { rlimits: [1] }, hooks: {} })));
    expect(spec).toEqual({ process: {}, hooks: { createContainer: [{ path: '/kind/bin/mount-product-files.sh' }] } });
  });
});

describe('the kube-network-policies build', () => {
  it('swaps every nftables queue expression for the NFQUEUE target', () => {
    const controller = 'a\n\tqueue := &expr.Queue{Num: uint16(c.config.QueueID)}\n\tif c.config.FailOpen {\n\t\tqueue.Flag = expr.QueueFlagBypass\n\t}\nb';
    expect(patchQueueExpressions('controller.go', controller)).toBe('a\n\tqueue := nfQueue(uint16(c.config.QueueID), c.config.FailOpen)\nb');
    expect(patchQueueExpressions('dnsagent.go', 'x(&expr.Queue{Num: uint16(n.nfQueueID), Flag: expr.QueueFlagBypass})')).toBe('x(nfQueue(uint16(n.nfQueueID), true))');
    expect(() => patchQueueExpressions('other.go', '&expr.Queue{Num: 1}')).toThrow(/does not know/);
  });
});

describe('readiness', () => {
  const ready = [{ type: 'Ready', status: 'True' }];
  const sc = [{ metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } }];
  it('is ready with a Ready node, ready pods and a default standard StorageClass', () => {
    expect(clusterProblems([{ metadata: { name: 'n' }, status: { conditions: ready } }], [{ metadata: { name: 'p' }, status: { phase: 'Running', conditions: ready } }], sc)).toEqual([]);
  });
  it('names what is missing', () => {
    expect(clusterProblems([{ metadata: { name: 'n' } }], [{ metadata: { name: 'p' }, status: { phase: 'Pending' } }], [])).toEqual([
      'node n is not Ready',
      'pod p is Pending',
      'no StorageClass standard',
    ]);
  });
});

describe("the engine's namespace", () => {
  const mountinfo = [
    '30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
    '38 30 0:34 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
    '39 30 0:35 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    '40 25 0:36 / /proc rw - proc proc rw',
  ].join('\n');
  it('mounts the host cgroup hierarchies again on a fresh sysfs', () => {
    expect(cgroupMounts(mountinfo)).toEqual([
      { target: '/sys/fs/cgroup/cpu', type: 'cgroup', options: 'cpu' },
      { target: '/sys/fs/cgroup/systemd', type: 'cgroup', options: 'name=systemd' },
      { target: '/sys/fs/cgroup/unified', type: 'cgroup2', options: 'defaults' },
    ]);
    const script = namespaceSetup(cgroupMounts(mountinfo));
    expect(script).toContain("mount -t cgroup -o 'name=systemd' cgroup '/sys/fs/cgroup/systemd'");
    expect(script.split('\n').at(-1)).toBe('exec "$@"');
  });
});
