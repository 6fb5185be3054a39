/**
 * The local stack's servers as pods see them. Pods cannot reach the host's 127.0.0.1, only an
 * address of the host's own that the cluster routes (USERFORGE_STACK_POD_ADDRESS): Redis binds it
 * as a second address, Kafka gets a second listener advertised there, and FerretDB — which listens
 * on one TCP address only — gets a plain TCP forwarder there to its 127.0.0.1 listener. Prometheus
 * discovers the pods through the API server and scrapes them at their pod IPs.
 */
import net from 'node:net';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import type { ProcessDef } from './servers';
import { REPO_ROOT, type StackSettings } from './settings';

const FORWARD_ENTRY = path.join(REPO_ROOT, 'scripts', 'stack', 'pod-access.ts');

/** The forwarder in front of FerretDB at the pod address (same port number as on 127.0.0.1). */
export function mongoPodForwarder(s: StackSettings): ProcessDef {
  const listen = `${s.USERFORGE_STACK_POD_ADDRESS}:${s.USERFORGE_MONGO_PORT}`;
  return {
    name: 'mongo-pod-forward',
    // Its port is on the pod address, not 127.0.0.1 where the stack checks ports; binding fails loudly instead.
    ports: [],
    portVars: [],
    marker: `--forward=${listen}`,
    startTimeoutMs: 20_000,
    prepare: () => ({
      cmd: process.execPath,
      args: ['--import', 'tsx', FORWARD_ENTRY, `--forward=${listen}`, `--to=127.0.0.1:${s.USERFORGE_MONGO_PORT}`],
      // tsx resolves from the repository.
      cwd: REPO_ROOT,
    }),
    // A real round trip through the forwarder: MongoDB `ping` at the pod address.
    async health() {
      const client = new MongoClient(`mongodb://${listen}/?directConnection=true`, { serverSelectionTimeoutMS: 1_500, connectTimeoutMS: 1_000 });
      try {
        await client.connect();
        await client.db('admin').command({ ping: 1 });
      } finally {
        await client.close().catch(() => undefined);
      }
    },
  };
}

/** Redis' `bind` line: loopback, plus the pod address when there is one. */
export const redisBind = (s: StackSettings) => `bind 127.0.0.1${s.USERFORGE_STACK_POD_ADDRESS ? ` ${s.USERFORGE_STACK_POD_ADDRESS}` : ''}`;

/**
 * Kafka's listener lines. Clients get the advertised address of the listener they connected to,
 * so the host's apps keep 127.0.0.1 and pods get the pod address back in metadata.
 */
export function kafkaListeners(s: StackSettings): string[] {
  const port = s.USERFORGE_KAFKA_PORT;
  const ctl = s.USERFORGE_KAFKA_CONTROLLER_PORT;
  const pod = s.USERFORGE_STACK_POD_ADDRESS ? `${s.USERFORGE_STACK_POD_ADDRESS}:${s.USERFORGE_KAFKA_POD_PORT}` : '';
  return [
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${ctl}${pod ? `,POD://${pod}` : ''}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}${pod ? `,POD://${pod}` : ''}`,
    `listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${pod ? ',POD:PLAINTEXT' : ''}`,
  ];
}

/**
 * A scrape job that finds pods through the API server (USERFORGE_PROMETHEUS_KUBECONFIG) and keeps
 * those annotated `prometheus.io/scrape: "true"`, at `<pod IP>:<prometheus.io/port><prometheus.io/path>`.
 */
export function podScrapeJob(s: StackSettings): string {
  if (!s.USERFORGE_PROMETHEUS_KUBECONFIG) return '';
  return [
    '  - job_name: kubernetes-pods',
    '    kubernetes_sd_configs:',
    '      - role: pod',
    `        kubeconfig_file: '${s.USERFORGE_PROMETHEUS_KUBECONFIG}'`,
    '    relabel_configs:',
    '      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]',
    '        regex: "true"',
    '        action: keep',
    '      - source_labels: [__meta_kubernetes_pod_phase]',
    '        regex: Pending|Succeeded|Failed',
    '        action: drop',
    '      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]',
    '        regex: (.+)',
    '        target_label: __metrics_path__',
    // One target per pod: every declared container port maps to the annotated one, and Prometheus drops the duplicates.
    '      - source_labels: [__meta_kubernetes_pod_ip, __meta_kubernetes_pod_annotation_prometheus_io_port]',
    '        regex: (.+);(\\d+)',
    '        replacement: $1:$2',
    '        target_label: __address__',
    '      - source_labels: [__meta_kubernetes_namespace]',
    '        target_label: namespace',
    '      - source_labels: [__meta_kubernetes_pod_name]',
    '        target_label: pod',
    '      - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_component]',
    '        target_label: component',
    '',
  ].join('\n');
}

/** `node --import tsx pod-access.ts --forward=<addr:port> --to=<addr:port>`: pipes every connection through. */
function forward(listen: string, to: string): void {
  const split = (a: string) => ({ host: a.slice(0, a.lastIndexOf(':')), port: Number(a.slice(a.lastIndexOf(':') + 1)) });
  const target = split(to);
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  server.on('error', (err) => {
    console.error(`forwarder ${listen} -> ${to}: ${err.message}`);
    process.exit(1);
  });
  server.listen(split(listen), () => console.log(`forwarding ${listen} -> ${to}`));
  // Clients hold their connections open: stop at once rather than wait for them.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
}

if (require.main === module) {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const listen = arg('forward');
  const to = arg('to');
  if (!listen || !to) {
    console.error('usage: pod-access.ts --forward=<address:port> --to=<address:port>');
    process.exit(2);
  }
  forward(listen, to);
}
