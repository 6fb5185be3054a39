import net from 'node:net';

/**
 * A port a test controls in front of a real server: `stall` accepts connections and answers
 * nothing (a server still booting), `forward` relays them to the server. A port with no gate on it
 * refuses connections.
 */
export class TcpGate {
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    private mode: 'stall' | 'forward',
  ) {}

  static async open(port: number, target: { host: string; port: number }, mode: 'stall' | 'forward'): Promise<TcpGate> {
    let gate: TcpGate | undefined;
    const server = net.createServer((client) => gate!.accept(client, target));
    gate = new TcpGate(server, mode);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
    return gate;
  }

  /** Switches mode; connections stalled so far are dropped, so clients retry through the new mode. */
  set(mode: 'stall' | 'forward'): void {
    this.mode = mode;
    if (mode === 'forward') this.dropAll();
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.dropAll();
    await closed;
  }

  private accept(client: net.Socket, target: { host: string; port: number }): void {
    this.track(client);
    client.on('error', () => client.destroy());
    if (this.mode === 'stall') return;
    const upstream = this.track(net.connect(target.port, target.host));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  }

  private track(socket: net.Socket): net.Socket {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    return socket;
  }

  private dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}

/** host and port of a `mongodb://host:port/…` URL or a `host:port` broker. */
export function hostPort(address: string): { host: string; port: number } {
  const { hostname, port } = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: hostname, port: Number(port) };
}
