import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Listens, and closes gracefully: stop accepting, run `onClosing` (which ends long-lived streams so
 * their clients reconnect elsewhere), let requests in flight finish, and force-close only what is
 * still open after `graceMs`.
 */
export async function listen(handler: RequestListener, port: number, host: string, onClosing: () => void, graceMs = 10_000): Promise<HttpServer> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createServer(handler).listen(port, host, () => resolve(s));
    s.once('error', reject);
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      onClosing();
      server.closeIdleConnections();
      const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(deadline);
    },
  };
}
