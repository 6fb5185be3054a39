/**
 * Where the apps find Kafka, MongoDB and Redis: the chart's own development servers when enabled,
 * Strimzi's bootstrap Service, or the external settings; and the production example's sizing.
 */
import path from 'node:path';
import { topicSpecs } from '@userforge/contracts';
import { CHART, SERVER_ARGS, find, helm, podSpec, render, type K8sObject, type PodSpec } from './helm';

const SERVERS = ['kafka', 'mongodb', 'redis'] as const;
type Server = (typeof SERVERS)[number];
const APPS = ['api', 'consumer', 'operator'];
const DEV = path.join(CHART, 'values-dev.yaml');
const PRODUCTION = path.join(CHART, 'values-production.yaml');
const STRIMZI_API = 'kafka.strimzi.io/v1beta2';

const enable = (...servers: Server[]) => servers.map((s) => `devServers.${s}.enabled=true`);
const devObjects = (objects: K8sObject[]) => objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/component']?.startsWith('dev-'));
const envOf = (objects: K8sObject[], app: string) =>
  Object.fromEntries((podSpec(find(objects, 'Deployment', `userforge-${app}`)).containers[0]!.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const secretData = (objects: K8sObject[]) => (find(objects, 'Secret', 'userforge-connections') as K8sObject & { stringData: Record<string, string> }).stringData;

interface Service {
  spec: { clusterIP?: string; selector: Record<string, string>; ports: { port: number; targetPort: string }[] };
}
interface StatefulSet {
  spec: {
    replicas: number;
    serviceName: string;
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    volumeClaimTemplates: { metadata: { name: string }; spec: { storageClassName?: string; resources: { requests: { storage: string } } } }[];
  };
}
const sts = (objects: K8sObject[], server: Server) => find(objects, 'StatefulSet', `userforge-dev-${server}`) as unknown as StatefulSet;

/** `host:port` resolves, in the rendered manifest, to a Service whose selector picks the StatefulSet's pods on a port the container opens. */
function expectServes(objects: K8sObject[], hostPort: string, server: Server) {
  const [host, port] = hostPort.split(':');
  const service = find(objects, 'Service', host!) as unknown as Service;
  const set = sts(objects, server);
  expect(set.spec.template.metadata.labels).toMatchObject(service.spec.selector);
  const servicePort = service.spec.ports.find((p) => p.port === Number(port));
  expect(servicePort).toBeDefined();
  const container = set.spec.template.spec.containers[0] as unknown as { ports: { name: string; containerPort: number }[] };
  expect(container.ports).toContainEqual(expect.objectContaining({ name: servicePort!.targetPort, containerPort: Number(port) }));
}

function kafkaProperties(objects: K8sObject[]): Record<string, string> {
  const text = (find(objects, 'ConfigMap', 'userforge-dev-kafka') as K8sObject & { data: Record<string, string> }).data['server.properties']!;
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('=') && !l.trim().startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()]),
  );
}

describe('development servers', () => {
  it('render only when enabled, each on its own', () => {
    expect(devObjects(render())).toEqual([]);
    expect(render().filter((o) => o.kind === 'StatefulSet')).toEqual([]);
    for (const server of SERVERS) {
      const components = new Set(devObjects(render({ set: enable(server) })).map((o) => o.metadata.labels!['app.kubernetes.io/component']));
      expect([server, [...components]]).toEqual([server, [`dev-${server}`]]);
    }
  });

  it('once enabled, are what every app connects to', () => {
    const objects = render({ set: enable(...SERVERS), namespace: 'team-a' });
    for (const app of APPS) {
      const env = envOf(objects, app);
      expect([app, env.KAFKA_BROKERS]).toEqual([app, 'userforge-dev-kafka:9092']);
      expect([app, env.MONGO_URL, env.REDIS_URL]).toEqual([
        app,
        { secretKeyRef: { name: 'userforge-connections', key: 'mongodb-url' } },
        { secretKeyRef: { name: 'userforge-connections', key: 'redis-url' } },
      ]);
    }
    expect(secretData(objects)).toEqual({ 'mongodb-url': 'mongodb://userforge-dev-mongodb:27017/userforge', 'redis-url': 'redis://userforge-dev-redis:6379' });
    expectServes(objects, 'userforge-dev-kafka:9092', 'kafka');
    expectServes(objects, 'userforge-dev-mongodb:27017', 'mongodb');
    expectServes(objects, 'userforge-dev-redis:6379', 'redis');
  });

  it('a dev server wins over an existingSecret; off, the external settings are used as given', () => {
    const existing = ['mongodb.existingSecret=servers', 'redis.existingSecret=servers', 'kafka.brokers={b-0:9092,b-1:9092}'];
    const dev = render({ set: [...existing, ...enable('mongodb')] });
    expect(envOf(dev, 'api')).toMatchObject({
      KAFKA_BROKERS: 'b-0:9092,b-1:9092',
      MONGO_URL: { secretKeyRef: { name: 'userforge-connections', key: 'mongodb-url' } },
      REDIS_URL: { secretKeyRef: { name: 'servers', key: 'redis-url' } },
    });
    expect(secretData(dev)).toEqual({ 'mongodb-url': 'mongodb://userforge-dev-mongodb:27017/userforge' });
    const external = render({ set: ['mongodb.url=mongodb://db.example:27017/uf', 'redis.url=redis://cache.example:6379'] });
    expect(envOf(external, 'consumer').KAFKA_BROKERS).toBe('kafka:9092');
    expect(secretData(external)).toEqual({ 'mongodb-url': 'mongodb://db.example:27017/uf', 'redis-url': 'redis://cache.example:6379' });
  });

  it('keep their data on a PVC, have probes and pinned images', () => {
    const objects = render({ set: [...enable(...SERVERS), 'devServers.redis.persistence.size=3Gi', 'devServers.redis.persistence.storageClass=fast'] });
    const mounts: Record<Server, string> = { kafka: '/var/lib/kafka/data', mongodb: '/data/db', redis: '/data' };
    for (const server of SERVERS) {
      const set = sts(objects, server);
      const container = set.spec.template.spec.containers[0]!;
      expect([server, set.spec.replicas, set.spec.volumeClaimTemplates.map((v) => v.metadata.name)]).toEqual([server, 1, ['data']]);
      expect([server, container.volumeMounts]).toEqual([server, expect.arrayContaining([{ name: 'data', mountPath: mounts[server] }])]);
      expect([server, container.image]).toEqual([server, expect.stringMatching(/^[a-z/]+:\d+\.\d+\.\d+(-alpine)?$/)]);
      expect([server, container.readinessProbe, container.livenessProbe]).toEqual([server, expect.anything(), expect.anything()]);
      const headless = find(objects, 'Service', set.spec.serviceName) as unknown as Service;
      expect([server, headless.spec.clusterIP]).toEqual([server, 'None']);
    }
    expect(sts(objects, 'redis').spec.volumeClaimTemplates[0]!.spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '3Gi' } } });
    expect(sts(objects, 'kafka').spec.volumeClaimTemplates[0]!.spec.storageClassName).toBeUndefined();
  });

  it('Kafka is one KRaft node that advertises its pod under the headless Service, with the chart’s partition count', () => {
    const objects = render({ set: [...enable('kafka'), 'kafka.partitions=7'], namespace: 'team-a' });
    const props = kafkaProperties(objects);
    const set = sts(objects, 'kafka');
    expect(props).toMatchObject({
      'process.roles': 'broker,controller',
      'node.id': '1',
      'controller.quorum.voters': '1@127.0.0.1:9093',
      'advertised.listeners': `PLAINTEXT://userforge-dev-kafka-0.${set.spec.serviceName}.team-a.svc:9092`,
      'num.partitions': '7',
      'offsets.topic.replication.factor': '1',
      'auto.create.topics.enable': 'false',
    });
    // A changed configuration rolls the pod.
    const checksum = (o: K8sObject[]) => (sts(o, 'kafka').spec.template as unknown as { metadata: { annotations: Record<string, string> } }).metadata.annotations['checksum/config'];
    expect(checksum(objects)).not.toBe(checksum(render({ set: [...enable('kafka'), 'kafka.partitions=8'], namespace: 'team-a' })));
  });

  it('only the release’s apps reach them, and the apps’ egress goes to them', () => {
    const objects = render({ set: enable(...SERVERS) });
    for (const server of SERVERS) {
      const policy = find(objects, 'NetworkPolicy', `userforge-dev-${server}`) as K8sObject & { spec: { ingress: { from: unknown[] }[] } };
      expect([server, policy.spec.ingress.flatMap((r) => r.from)]).toEqual([
        server,
        [
          {
            podSelector: {
              matchLabels: { 'app.kubernetes.io/name': 'userforge', 'app.kubernetes.io/instance': 'userforge' },
              matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: APPS }],
            },
          },
        ],
      ]);
    }
    const consumer = find(objects, 'NetworkPolicy', 'userforge-consumer') as K8sObject & { spec: { egress: { to?: { podSelector?: { matchLabels: Record<string, string> } }[] }[] } };
    const targets = consumer.spec.egress.flatMap((r) => r.to ?? []).map((t) => t.podSelector?.matchLabels['app.kubernetes.io/component']);
    expect(targets).toEqual(expect.arrayContaining(SERVERS.map((s) => `dev-${s}`)));
    expect(devObjects(render({ set: [...enable(...SERVERS), 'networkPolicy.enabled=false'] })).filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
  });

  it('values-dev.yaml runs all three, one replica of each app, behind an nginx Ingress', () => {
    const objects = render({ valuesFile: DEV });
    expect(objects.filter((o) => o.kind === 'StatefulSet').map((o) => o.metadata.name).sort()).toEqual(SERVERS.map((s) => `userforge-dev-${s}`));
    for (const name of ['api', 'operator', 'dashboard']) expect([name, (find(objects, 'Deployment', `userforge-${name}`).spec as { replicas: number }).replicas]).toEqual([name, 1]);
    expect(envOf(objects, 'operator').MIN_CONSUMERS).toBe('2');
    const ingress = find(objects, 'Ingress', 'userforge-api') as K8sObject & { spec: { ingressClassName: string; rules: { host: string }[] } };
    expect([ingress.spec.ingressClassName, ingress.spec.rules[0]!.host]).toEqual(['nginx', 'userforge.localtest.me']);
  });
});

describe('Strimzi', () => {
  const strimzi = (extra: string[] = [], apiVersions = [STRIMZI_API]) => render({ valuesFile: PRODUCTION, set: ['strimzi.enabled=true', ...extra], apiVersions });
  interface StrimziSpec {
    kafka: { config: Record<string, unknown> };
    replicas: number;
    roles: string[];
    topicName: string;
    partitions: number;
  }
  const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind) as (K8sObject & { spec: StrimziSpec })[];

  it('with values-production: 3 KRaft nodes, replication factor 3, min.insync.replicas 2, the apps on its bootstrap Service', () => {
    const objects = strimzi();
    const [kafka] = ofKind(objects, 'Kafka');
    const [pool] = ofKind(objects, 'KafkaNodePool');
    expect(kafka!.metadata.name).toBe('userforge');
    expect(kafka!.spec.kafka.config).toMatchObject({ 'default.replication.factor': 3, 'min.insync.replicas': 2, 'offsets.topic.replication.factor': 3, 'num.partitions': 64 });
    expect(pool!.spec).toMatchObject({ replicas: 3, roles: ['controller', 'broker'] });
    expect(pool!.metadata.labels!['strimzi.io/cluster']).toBe('userforge');
    for (const app of APPS) expect([app, envOf(objects, app).KAFKA_BROKERS]).toEqual([app, 'userforge-kafka-bootstrap:9092']);
  });

  it('declares exactly the platform’s topics (packages/contracts topicSpecs), replicated 3 times', () => {
    const topics = ofKind(strimzi(), 'KafkaTopic').map((t) => ({ topic: t.spec.topicName, numPartitions: t.spec.partitions, replicas: t.spec.replicas }));
    expect(topics.sort((a, b) => a.topic.localeCompare(b.topic))).toEqual(
      topicSpecs(64)
        .map((s) => ({ ...s, replicas: 3 }))
        .sort((a, b) => a.topic.localeCompare(b.topic)),
    );
  });

  it('renders nothing of its own on a cluster without its API, and refuses impossible settings', () => {
    expect(strimzi([], []).filter((o) => o.apiVersion.startsWith('kafka.strimzi.io'))).toEqual([]);
    const both = helm(['template', 'x', CHART, ...SERVER_ARGS, '--set', 'strimzi.enabled=true', '--set', 'devServers.kafka.enabled=true']);
    expect([both.code, both.err]).toEqual([1, expect.stringContaining('devServers.kafka and strimzi are both enabled')]);
    const minIsr = helm(['template', 'x', CHART, ...SERVER_ARGS, '--set', 'strimzi.enabled=true', '--set', 'strimzi.minInsyncReplicas=4', '--api-versions', STRIMZI_API]);
    expect([minIsr.code, minIsr.err]).toEqual([1, expect.stringContaining('minInsyncReplicas (4) cannot exceed')]);
  });
});

describe('values-production.yaml', () => {
  const objects = () => render({ valuesFile: PRODUCTION });

  it('runs 14–24 API pods at 1 CPU and consumers of 1 CPU / 1 GiB, scaled by the operator within 64 partitions', () => {
    const o = objects();
    const hpa = find(o, 'HorizontalPodAutoscaler', 'userforge-api').spec as { minReplicas: number; maxReplicas: number };
    expect([hpa.minReplicas, hpa.maxReplicas]).toEqual([14, 24]);
    expect(podSpec(find(o, 'Deployment', 'userforge-api')).containers[0]!.resources).toMatchObject({ requests: { cpu: '1' } });
    expect(podSpec(find(o, 'Deployment', 'userforge-consumer')).containers[0]!.resources).toEqual({ requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '1Gi' } });
    expect(envOf(o, 'operator')).toMatchObject({ KAFKA_PARTITIONS: '64', MIN_CONSUMERS: '4' });
    const withoutOperator = render({ valuesFile: PRODUCTION, set: ['operator.enabled=false'] });
    expect((find(withoutOperator, 'Deployment', 'userforge-consumer').spec as { replicas: number }).replicas).toBe(48);
  });

  it('has PDBs, topology spread, an API key and TLS from existing Secrets, and three brokers', () => {
    const o = objects();
    expect(o.filter((x) => x.kind === 'PodDisruptionBudget').map((x) => x.metadata.name).sort()).toEqual(['api', 'consumer', 'dashboard', 'operator'].map((c) => `userforge-${c}`));
    expect(podSpec(find(o, 'Deployment', 'userforge-consumer')).topologySpreadConstraints).toHaveLength(2);
    expect(envOf(o, 'api').API_KEY).toEqual({ secretKeyRef: { name: 'userforge-api-key', key: 'api-key' } });
    expect((find(o, 'Ingress', 'userforge-api').spec as { tls: { secretName: string }[] }).tls[0]!.secretName).toBe('userforge-tls');
    expect(String(envOf(o, 'consumer').KAFKA_BROKERS).split(',')).toHaveLength(3);
    expect(o.filter((x) => x.kind === 'Secret')).toEqual([]);
  });
});

describe('values.schema.json', () => {
  it('rejects unknown keys and wrong types under devServers and strimzi', () => {
    for (const set of ['devServers.unknown=1', 'devServers.kafka.unknown=1', 'devServers.redis.persistence.mode=1', 'strimzi.unknown=1', 'strimzi.storage.tier=1']) {
      const r = helm(['template', 'x', CHART, ...SERVER_ARGS, '--set', set]);
      expect([set, r.code, r.err]).toEqual([set, 1, expect.stringContaining('not allowed')]);
    }
    for (const set of ['devServers.mongodb.enabled=maybe', 'devServers.kafka.clusterId=short', 'devServers.redis.image.tag=', 'strimzi.replicas=0']) {
      const r = helm(['template', 'x', CHART, ...SERVER_ARGS, '--set', set]);
      expect([set, r.code]).toEqual([set, 1]);
    }
  });
});
