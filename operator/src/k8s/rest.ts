import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
// The kubeconfig module alone: the package root also loads every generated API class (see docs/operator.md).
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { Cluster, Context, User } from '@kubernetes/client-node/dist/config_types.js';

/**
 * A thin REST layer on @kubernetes/client-node's KubeConfig: the library decides how to reach and
 * authenticate to the API server (kubeconfig lists, exec plugins, auth providers, client
 * certificates, TLS options, proxies, the pod's rotated service-account token and CA); this file
 * only sends the dozen requests the operator makes, and streams its watches.
 */

/** A failed call; `code` is the HTTP status (0 when the server could not be reached or did not answer in time). */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/** A kubeconfig the operator cannot use; the message says which file and what to do. */
export class KubeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeConfigError';
  }
}

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The proxy for `server` from HTTPS_PROXY / HTTP_PROXY, unless NO_PROXY names its host (exact, a
 * domain suffix such as `.example.com` or `example.com`, `host:port`, or `*`), as Go's net/http does.
 */
export function proxyFromEnv(server: string, env: Record<string, string | undefined>): string | undefined {
  const url = new URL(server);
  const https = url.protocol === 'https:';
  const proxy = https ? env.HTTPS_PROXY ?? env.https_proxy : env.HTTP_PROXY ?? env.http_proxy;
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (https ? '443' : '80');
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const bypass = noProxy.some((entry) => {
    if (entry === '*') return true;
    const [name, entryPort] = entry.startsWith('[') ? [entry.slice(1, entry.indexOf(']')), entry.split(']:')[1]] : entry.split(':');
    if (entryPort && entryPort !== port) return false;
    const bare = name.replace(/^\*?\./, '');
    return host === bare || host.endsWith(`.${bare}`);
  });
  return bypass ? undefined : proxy;
}

/**
 * The files of a KUBECONFIG value: a list joined by the platform's delimiter (`a:b`), empty parts skipped.
 */
export function kubeconfigFiles(value: string): string[] {
  return value.split(path.delimiter).filter(Boolean);
}

/**
 * Merges several kubeconfigs as kubectl does: the first file to name a cluster, user or context
 * wins, and the first current-context set wins.
 */
export function mergeKubeconfigs(configs: { clusters: Cluster[]; users: User[]; contexts: Context[]; currentContext: string }[]) {
  const firstByName = <T extends { name: string }>(lists: T[][]) => [...new Map(lists.flat().reverse().map((x) => [x.name, x])).values()].reverse();
  return {
    clusters: firstByName(configs.map((c) => c.clusters)),
    users: firstByName(configs.map((c) => c.users)),
    contexts: firstByName(configs.map((c) => c.contexts)),
    currentContext: configs.map((c) => c.currentContext).find(Boolean) ?? '',
  };
}

/**
 * The KubeConfig of `kubeconfig` (one file or a list); unset, the pod's service account in a
 * cluster, else ~/.kube/config. Fails with a clear message when no current context is set or it
 * names a cluster or user that is not there (never silently the first context).
 */
export function loadKubeConfig(kubeconfig: string | undefined, env: Record<string, string | undefined> = process.env): KubeConfig {
  const kc = new KubeConfig();
  let where: string;
  if (!kubeconfig && env.KUBERNETES_SERVICE_HOST && fs.existsSync(SA_TOKEN)) {
    kc.loadFromCluster();
    where = 'the pod service account';
  } else {
    const files = kubeconfig ? kubeconfigFiles(kubeconfig) : [path.join(os.homedir(), '.kube', 'config')];
    if (files.length === 0) throw new KubeConfigError('KUBECONFIG names no file');
    const loaded = files.map((file) => {
      const one = new KubeConfig();
      try {
        one.loadFromFile(file);
      } catch (err) {
        throw new KubeConfigError(`kubeconfig ${file}: ${(err as Error).message}`);
      }
      return { clusters: one.getClusters() ?? [], users: one.getUsers() ?? [], contexts: one.getContexts() ?? [], currentContext: one.getCurrentContext() };
    });
    const merged = mergeKubeconfigs(loaded);
    // HTTPS_PROXY / NO_PROXY, as kubectl honours them, for clusters without a proxy-url of their own.
    merged.clusters = merged.clusters.map((c) => (c.proxyUrl || !c.server ? c : { ...c, proxyUrl: proxyFromEnv(c.server, env) }));
    kc.loadFromOptions(merged);
    where = `kubeconfig ${files.join(path.delimiter)}`;
  }
  const current = kc.getCurrentContext();
  const names = kc.getContexts().map((c) => c.name);
  if (!current) {
    throw new KubeConfigError(
      `${where}: no current-context is set; choose one with \`kubectl config use-context <name>\`${names.length ? ` (contexts: ${names.join(', ')})` : ' (it has no contexts)'}`,
    );
  }
  const context = kc.getContextObject(current);
  if (!context) throw new KubeConfigError(`${where}: current-context "${current}" is not among its contexts (${names.join(', ') || 'none'})`);
  if (!kc.getCluster(context.cluster)?.server) throw new KubeConfigError(`${where}: context "${current}" names cluster "${context.cluster}", which is not there or has no server`);
  if (context.user && !kc.getUser(context.user)) throw new KubeConfigError(`${where}: context "${current}" names user "${context.user}", which is not there`);
  return kc;
}

/** How requests reach the server: the agent (TLS, proxy) and the headers (credentials) KubeConfig made. */
interface Connection {
  server: string;
  agent: https.Agent;
  headers: Record<string, string>;
  /** What the agent was made from: a new one is made only when this changes. */
  tls: string;
}

/** Credentials and TLS material are asked of KubeConfig again after this long (a rotated token, CA or exec credential). */
const CONNECTION_TTL_MS = 10_000;

export interface Stream {
  /** Resolves when the stream ends: null when the server ended it (or it was aborted), else the error. */
  done: Promise<unknown>;
  abort(): void;
}

export class KubeRest {
  private pending: { at: number; value: Promise<Connection> } | undefined;
  private last: Connection | undefined;
  private readonly server: string;

  constructor(
    private readonly kc: KubeConfig,
    /** Told of every request's outcome: its verb, HTTP status (0: no answer) and duration. Not watches. */
    private readonly onResponse: (verb: string, code: number, seconds: number) => void = () => undefined,
  ) {
    this.server = kc.getCurrentCluster()!.server;
  }

  /**
   * The agent and headers for the next request. KubeConfig is asked at most every 10 s (an exec
   * plugin runs once per credential, not per request) and after a 401; the keep-alive agent is kept
   * as long as the TLS material and proxy stay the same.
   */
  private connect(): Promise<Connection> {
    if (this.pending && Date.now() - this.pending.at < CONNECTION_TTL_MS) return this.pending.value;
    const entry = { at: Date.now(), value: this.fresh() };
    this.pending = entry;
    entry.value.then(
      (c) => (this.last = c),
      () => this.pending === entry && (this.pending = undefined),
    );
    return entry.value;
  }

  private async fresh(): Promise<Connection> {
    const opts: https.RequestOptions = { headers: {} };
    await this.kc.applyToHTTPSOptions(opts);
    const material = [opts.ca, opts.cert, opts.key, opts.servername, opts.rejectUnauthorized, this.kc.getCurrentCluster()?.proxyUrl];
    const tls = JSON.stringify(material.map((x) => (Buffer.isBuffer(x) ? x.toString('base64') : x)));
    const headers = { ...(opts.headers as Record<string, string>) };
    if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    const made = opts.agent as https.Agent;
    if (this.last?.tls === tls) {
      made.destroy(); // unused: the current agent has the same TLS material and proxy
      return { ...this.last, headers };
    }
    // KubeConfig makes a fresh agent each time (with its proxy, if any); its sockets are kept alive here.
    (made as https.Agent & { keepAlive: boolean }).keepAlive = true;
    made.options.keepAlive = true;
    return { server: this.server, agent: made, headers, tls };
  }

  /** After a 401 the credentials are asked for afresh (an expired exec token, a rotated service-account token). */
  private forget(status: number): void {
    if (status === 401 && this.pending) this.pending.at = 0;
  }

  /** One call; resolves with the parsed JSON answer, rejects with KubeApiError for any status ≥ 300 or no answer within `timeoutMs`. */
  async request<T = unknown>(method: string, apiPath: string, body?: unknown, contentType = 'application/json', timeoutMs = 30_000): Promise<T> {
    const started = process.hrtime.bigint();
    const took = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const out = { status: 0 };
      const answer = await this.send<T>(method, apiPath, body, contentType, timeoutMs, out);
      this.onResponse(method, out.status, took());
      return answer;
    } catch (err) {
      this.onResponse(method, err instanceof KubeApiError ? err.code : 0, took());
      throw err;
    }
  }

  private async send<T>(method: string, apiPath: string, body: unknown, contentType: string, timeoutMs: number, out: { status: number }): Promise<T> {
    const started = Date.now();
    const conn = await withTimeout(this.connect(), timeoutMs, `${method} ${apiPath}: no credentials in ${timeoutMs} ms`);
    const url = new URL(apiPath, conn.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    return new Promise<T>((resolve, reject) => {
      // Content-Length always: Node frames a DELETE's body with neither it nor chunking, and the API
      // server would then read no body (a DELETE's preconditions silently dropped).
      const headers = { accept: 'application/json', ...conn.headers, ...(payload ? { 'content-type': contentType, 'content-length': String(Buffer.byteLength(payload)) } : {}) };
      const req = https.request(url, { method, agent: conn.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          out.status = status;
          if (status >= 300) {
            this.forget(status);
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
      // A whole-request deadline (not an idle one): a stalled connection must not hold a lease renewal.
      const timer = setTimeout(() => req.destroy(new KubeApiError(0, `${method} ${url.pathname}: no answer in ${timeoutMs} ms`)), left);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err instanceof KubeApiError ? err : new KubeApiError(0, `${method} ${url.pathname}: ${err.message}`));
      });
      if (payload) req.write(payload);
      req.end();
    });
  }

  /**
   * A stream of lines (a watch): `onLine` gets each non-empty line. `done` resolves with null when
   * the server ends the stream or it is aborted, with a KubeApiError for a status ≥ 300 or a broken
   * connection, and with whatever `onLine` threw (the stream is then closed).
   */
  stream(apiPath: string, query: Record<string, string>, onLine: (line: string) => void): Stream {
    const conn = this.connect();
    let req: ReturnType<typeof https.request> | undefined;
    let aborted = false;
    let finish: (result: unknown) => void = () => undefined;
    const done = new Promise<unknown>((resolve) => {
      let settled = false;
      finish = (result) => {
        if (settled) return;
        settled = true;
        req?.destroy();
        resolve(aborted ? null : result);
      };
      conn.then(
        (c) => {
          if (aborted) return finish(null);
          const url = new URL(apiPath, c.server);
          url.search = new URLSearchParams(query).toString();
          req = https.request(url, { method: 'GET', agent: c.agent, headers: { accept: 'application/json', ...c.headers } }, (res) => {
            const status = res.statusCode ?? 0;
            if (status >= 300) {
              this.forget(status);
              res.resume();
              finish(new KubeApiError(status, `watch ${url.pathname}: ${status}`));
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
                try {
                  if (line) onLine(line);
                } catch (err) {
                  finish(err);
                  return;
                }
                newline = buffered.indexOf('\n');
              }
            });
            res.on('end', () => finish(null));
            res.on('error', (err) => finish(new KubeApiError(0, err.message)));
            res.on('close', () => finish(new KubeApiError(0, `watch ${url.pathname}: connection closed`)));
          });
          req.on('error', (err) => finish(new KubeApiError(0, err.message)));
          req.end();
        },
        (err: unknown) => finish(err),
      );
    });
    return {
      done,
      abort: () => {
        aborted = true;
        finish(null);
      },
    };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new KubeApiError(0, message)), ms)))]).finally(() => clearTimeout(timer));
}
