import type { Logger } from './logger';

export interface Service {
  start(): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * Runs a service as a process: start it, and on SIGTERM/SIGINT stop it gracefully (in-flight work
 * finished or handed back, connections closed). A second signal, or a stop that hangs past
 * `graceMs`, exits hard so Kubernetes is never left waiting.
 */
export function runService(service: Service, logger: Logger, graceMs = 25_000): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown timed out');
      process.exit(1);
    }, graceMs);
    timer.unref();
    service.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  service.start().catch((err: unknown) => {
    logger.fatal({ err }, 'failed to start');
    process.exit(1);
  });
}
