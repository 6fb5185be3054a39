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
export interface ListenOptions {
  port: number;
  host: string;
  /** Ends long-lived streams when closing, so their clients reconnect elsewhere. */
  onClosing: () => void;
  /** Idle keep-alive connections close after this long (see HTTP_KEEP_ALIVE_TIMEOUT_MS). */
  keepAliveTimeoutMs: number;
  graceMs?: number;
}

export async function listen(handler: RequestListener, opts: ListenOptions): Promise<HttpServer> {
  const { port, host, onClosing, keepAliveTimeoutMs, graceMs = 10_000 } = opts;
  const server = await new Promise<Server>((resolve, reject) => {
    // A request's headers may take no longer than the connection may idle (Node requires headersTimeout > keepAliveTimeout).
    const s = createServer({ keepAliveTimeout: keepAliveTimeoutMs, headersTimeout: keepAliveTimeoutMs + 1_000 }, handler).listen(port, host, () => resolve(s));
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
