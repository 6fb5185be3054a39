import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';

/**
 * A small Kubernetes REST client: the operator needs a dozen endpoints, and @kubernetes/client-node
 * 1.x loads its whole generated API surface on import (about 65 MB of RSS, half the operator's memory
 * request). Only the Kubernetes smoke test and the operator benchmark use the library.
 */

/** Where the API server is and how to authenticate: what a kubeconfig context or a pod's service account says. */
export interface KubeConnection {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Read on every request, so a rotated service-account token is picked up. */
  token?: () => string;
}

/** A failed call; `code` is the HTTP status (0 when the server could not be reached). */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: { name: string; cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string } }[];
  users?: {
    name: string;
    user: { token?: string; tokenFile?: string; 'client-certificate-data'?: string; 'client-key-data'?: string; 'client-certificate'?: string; 'client-key'?: string };
  }[];
}

/** The connection of a kubeconfig file's current context; without a file, the pod's service account, else ~/.kube/config. */
export function loadKubeConnection(file: string | undefined): KubeConnection {
  if (!file && process.env.KUBERNETES_SERVICE_HOST && fs.existsSync(path.join(SA_DIR, 'token'))) {
    const host = process.env.KUBERNETES_SERVICE_HOST;
    return {
      server: `https://${host.includes(':') ? `[${host}]` : host}:${process.env.KUBERNETES_SERVICE_PORT ?? '443'}`,
      ca: fs.readFileSync(path.join(SA_DIR, 'ca.crt')),
      token: () => fs.readFileSync(path.join(SA_DIR, 'token'), 'utf8').trim(),
    };
  }
  const where = file ?? path.join(os.homedir(), '.kube', 'config');
  const config = yaml.load(fs.readFileSync(where, 'utf8')) as KubeconfigFile;
  const context = config.contexts?.find((c) => c.name === config['current-context'])?.context ?? config.contexts?.[0]?.context;
  const cluster = config.clusters?.find((c) => c.name === context?.cluster)?.cluster;
  const user = config.users?.find((u) => u.name === context?.user)?.user ?? {};
  if (!cluster) throw new Error(`${where}: no cluster for the current context`);
  const base = path.dirname(where);
  const fileOrData = (data?: string, name?: string) => (data ? Buffer.from(data, 'base64') : name ? fs.readFileSync(path.resolve(base, name)) : undefined);
  const token = user.token;
  return {
    server: cluster.server,
    ca: fileOrData(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: fileOrData(user['client-certificate-data'], user['client-certificate']),
    key: fileOrData(user['client-key-data'], user['client-key']),
    token: token ? () => token : user.tokenFile ? () => fs.readFileSync(path.resolve(base, user.tokenFile!), 'utf8').trim() : undefined,
  };
}

export interface WatchEvent {
  type: string;
  object: Record<string, unknown>;
}

export class KubeRest {
  private readonly agent: https.Agent;

  constructor(private readonly conn: KubeConnection) {
    this.agent = new https.Agent({ keepAlive: true, ca: conn.ca, cert: conn.cert, key: conn.key });
  }

  private options(method: string, url: URL, headers: Record<string, string>): https.RequestOptions {
    const token = this.conn.token?.();
    return { method, agent: this.agent, headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } };
  }

  /** One call; resolves with the parsed JSON answer, rejects with KubeApiError for any status ≥ 300. */
  request<T = unknown>(method: string, apiPath: string, body?: unknown, contentType = 'application/json', timeoutMs = 30_000): Promise<T> {
    const url = new URL(apiPath, this.conn.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = https.request(url, this.options(method, url, payload ? { 'content-type': contentType } : {}), (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 300) {
            let message = text;
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? text;
            } catch {
              /* not JSON: keep the text */
            }
            reject(new KubeApiError(status, `${method} ${url.pathname}: ${status} ${message}`));
            return;
          }
          try {
            resolve((text ? JSON.parse(text) : {}) as T);
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', (err) => reject(new KubeApiError(0, err.message)));
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url.pathname}: no answer in ${timeoutMs} ms`)));
      req.on('error', (err) => reject(err instanceof KubeApiError ? err : new KubeApiError(0, err.message)));
      if (payload) req.write(payload);
      req.end();
    });
  }

  /**
   * A watch: each line of the stream is one event. `done` resolves when the server ends the watch
   * (null) or with the error that ended it (a KubeApiError carries the status, e.g. 410).
   */
  watch(apiPath: string, query: Record<string, string>, onEvent: (e: WatchEvent) => void): { done: Promise<unknown>; abort(): void } {
    const url = new URL(apiPath, this.conn.server);
    url.search = new URLSearchParams({ ...query, watch: 'true' }).toString();
    let req: ReturnType<typeof https.request> | undefined;
    let aborted = false;
    const done = new Promise<unknown>((resolve) => {
      req = https.request(url, this.options('GET', url, {}), (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300) {
          res.resume();
          resolve(new KubeApiError(status, `watch ${url.pathname}: ${status}`));
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let newline = buffered.indexOf('\n');
          while (newline >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line) onEvent(JSON.parse(line) as WatchEvent);
            newline = buffered.indexOf('\n');
          }
        });
        res.on('end', () => resolve(null));
        res.on('error', (err) => resolve(aborted ? null : err));
      });
      req.on('error', (err) => resolve(aborted ? null : new KubeApiError(0, err.message)));
      req.end();
    });
    return {
      done,
      abort: () => {
        aborted = true;
        req?.destroy();
      },
    };
  }
}
