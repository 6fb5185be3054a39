import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

export interface OpsEndpoints {
  registry: Registry;
  /**
   * Rejects while the process is not ready. The 503 body carries the error's `checks` (dependency →
   * `ok` or `down: <reason>`) when it has them, else its message as `reason`.
   */
  ready: () => Promise<void>;
  /** Answers every other request (default: a JSON 404). */
  otherwise?: (req: IncomingMessage, res: ServerResponse) => void;
}

function replyJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** GET /metrics, /healthz (alive: it answers) and /readyz, as a plain request listener. */
export function opsRequestListener(opts: OpsEndpoints): RequestListener {
  return (req, res) => {
    const json = (status: number, body: unknown) => replyJson(res, status, body);
    if (req.method !== 'GET') return json(405, { error: { code: 'method_not_allowed', message: 'only GET' } });
    switch (req.url) {
      case '/metrics':
        opts.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': opts.registry.contentType });
            res.end(text);
          },
          () => json(500, { error: { code: 'internal', message: 'metrics unavailable' } }),
        );
        return;
      case '/healthz':
        return json(200, { status: 'ok' });
      case '/readyz':
        opts.ready().then(
          () => json(200, { status: 'ok' }),
          (err: Error & { checks?: Record<string, string> }) =>
            json(503, err.checks ? { status: 'unavailable', checks: err.checks } : { status: 'unavailable', reason: err.message }),
        );
        return;
      default:
        if (opts.otherwise) return opts.otherwise(req, res);
        return json(404, { error: { code: 'route_not_found', message: `no route for GET ${req.url}` } });
    }
  };
}

/**
 * The /metrics, /healthz and /readyz endpoints of a process that serves no other HTTP (consumer,
 * operator), for Prometheus and Kubernetes probes. Started before the process connects to its
 * servers, so probes answer (alive, not ready) while it waits for them.
 */
export async function startOpsServer(opts: OpsEndpoints & { port: number; host?: string }): Promise<OpsServer> {
  const server = http.createServer(opsRequestListener(opts));
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

/** A JSON error reply for a listener's `otherwise`: `{ error: { code, message } }`. */
export function replyError(res: ServerResponse, status: number, code: string, message: string): void {
  replyJson(res, status, { error: { code, message } });
}
