import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';

/**
 * A TCP proxy of the test's own between a client and the API server. `stall()` freezes it the way a
 * half-open network does: open connections stop passing bytes (nothing is closed, nothing is sent)
 * and new ones are accepted and left unanswered; `freezeOpen()` freezes only those open now.
 * `resume()` drops the frozen connections and relays again.
 */
export class StallProxy {
  private stalled = false;
  private readonly frozen = new Set<net.Socket>();
  private readonly live = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async open(target: { host: string; port: number }): Promise<StallProxy> {
    let proxy: StallProxy | undefined;
    const server = net.createServer((client) => proxy!.accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    proxy = new StallProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  stall(): void {
    this.stalled = true;
    for (const socket of this.live) {
      socket.unpipe();
      socket.pause();
      this.frozen.add(socket);
    }
  }

  /**
   * Freezes only the connections open now (a watch whose connection went half-open), while new ones
   * are relayed as usual: the client notices only by a deadline of its own.
   */
  freezeOpen(): void {
    for (const socket of this.live) {
      socket.unpipe();
      socket.pause();
      this.frozen.add(socket);
    }
  }

  resume(): void {
    this.stalled = false;
    for (const socket of this.frozen) socket.destroy();
    this.frozen.clear();
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of [...this.live, ...this.frozen]) socket.destroy();
    await closed;
  }

  private accept(client: net.Socket, target: { host: string; port: number }): void {
    client.on('error', () => client.destroy());
    if (this.stalled) {
      client.pause();
      this.frozen.add(client);
      return;
    }
    const upstream = net.connect(target.port, target.host);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    for (const s of [client, upstream]) {
      this.live.add(s);
      s.on('close', () => this.live.delete(s));
    }
    client.pipe(upstream).pipe(client);
  }
}

/** A copy of `kubeconfig` whose clusters point at `port` on 127.0.0.1 (the proxy); TLS still checks the API server's name. */
export function kubeconfigVia(kubeconfig: string, port: number): string {
  const config = yaml.load(fs.readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  for (const { cluster } of config.clusters) {
    const url = new URL(cluster.server);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    cluster.server = url.toString().replace(/\/$/, '');
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'uf-proxied-')), 'kubeconfig');
  fs.writeFileSync(file, yaml.dump(config));
  return file;
}

/** host and port of the API server a kubeconfig's first cluster names. */
export function apiServerOf(kubeconfig: string): { host: string; port: number } {
  const config = yaml.load(fs.readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  const url = new URL(config.clusters[0]!.cluster.server);
  return { host: url.hostname, port: Number(url.port || 443) };
}
