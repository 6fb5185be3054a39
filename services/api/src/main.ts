import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  connectMongo,
  createLogger,
  createMetricsRegistry,
  createRedis,
  pingMongo,
  runService,
  type Redis,
} from '@userforge/platform';
import type { Connection } from 'mongoose';
import { createApp } from './app';
import { loadApiConfig, type ApiConfig } from './config';

export interface RunningApi {
  port: number;
  stop(): Promise<void>;
}

/** Starts the API: connects to MongoDB and Redis, then listens. Tests call this with PORT=0. */
export async function start(config: ApiConfig = loadApiConfig()): Promise<RunningApi> {
  const logger = createLogger('api', config.LOG_LEVEL);
  const registry = createMetricsRegistry('api');
  let mongo: Connection | undefined;
  let redis: Redis | undefined;
  let server: Server | undefined;
  const stop = async () => {
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    server?.closeAllConnections();
    await redis?.quit().catch(() => redis?.disconnect());
    await mongo?.close();
  };
  try {
    mongo = await connectMongo(config.MONGO_URL, { appName: 'userforge-api' });
    redis = createRedis(config.REDIS_URL);
    await redis.connect().catch((err: unknown) => logger.warn({ err }, 'redis unreachable at start; will keep retrying'));
    const app = createApp({
      logger,
      registry,
      checks: {
        mongo: () => pingMongo(mongo!),
        redis: async () => void (await redis!.ping()),
      },
    });
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.PORT, config.HOST, () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, 'api listening');
  return { port, stop };
}

if (require.main === module) {
  let running: RunningApi | undefined;
  const logger = createLogger('api');
  runService(
    {
      start: async () => (running = await start()),
      stop: async () => running?.stop(),
    },
    logger,
  );
}
