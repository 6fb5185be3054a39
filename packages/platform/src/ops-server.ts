import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The /metrics, /healthz and /readyz endpoints of a process that serves no other HTTP (consumer,
 * operator), for Prometheus and Kubernetes probes.
 */
export async function startOpsServer(opts: {
  port: number;
  host?: string;
  registry: Registry;
  ready: () => Promise<void>;
}): Promise<OpsServer> {
  const server = http.createServer((req, res) => {
    const reply = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const json = (status: number, body: unknown) => reply(status, 'application/json', JSON.stringify(body));
    if (req.method !== 'GET') return json(405, { error: { code: 'method_not_allowed', message: 'only GET' } });
    switch (req.url) {
      case '/metrics':
        opts.registry.metrics().then(
          (text) => reply(200, opts.registry.contentType, text),
          () => json(500, { error: { code: 'internal', message: 'metrics unavailable' } }),
        );
        return;
      case '/healthz':
        return json(200, { status: 'ok' });
      case '/readyz':
        opts.ready().then(
          () => json(200, { status: 'ok' }),
          (err: Error) => json(503, { status: 'unavailable', reason: err.message }),
        );
        return;
      default:
        return json(404, { error: { code: 'route_not_found', message: `no route for GET ${req.url}` } });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
