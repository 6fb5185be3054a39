import type { Logger } from './logger';
import { StartAborted } from './wait-for';

export interface Service {
  /** Starts; `signal` aborts on shutdown, ending any wait for a server (rejecting with StartAborted). */
  start(signal: AbortSignal): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * Runs a service as a process: start it, and on SIGTERM/SIGINT stop it gracefully (in-flight work
 * finished or handed back, connections closed). A signal while it still waits for its servers ends
 * the wait and exits 0: only a start that fails by itself (a config error) exits 1. A second signal,
 * or a stop that hangs past `graceMs`, exits hard so Kubernetes is never left waiting.
 */
export function runService(service: Service, logger: Logger, graceMs = 25_000): void {
  const shuttingDown = new AbortController();
  const started = service.start(shuttingDown.signal);
  const shutdown = (signal: string) => {
    if (shuttingDown.signal.aborted) {
      logger.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'shutting down');
    shuttingDown.abort();
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown timed out');
      process.exit(1);
    }, graceMs);
    timer.unref();
    // A start that the abort ended has undone itself; one that completed is stopped.
    started.then(
      () => service.stop(),
      (err: unknown) => {
        if (!(err instanceof StartAborted)) throw err;
      },
    ).then(
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
  started.catch((err: unknown) => {
    if (err instanceof StartAborted) return;
    logger.fatal({ err }, 'failed to start');
    process.exit(1);
  });
}

/** A named background task of a process (a healer, a sampler, a publisher) with its own start and stop. */
export interface Worker {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

/** A worker that runs `tick` every `everyMs` (never two at once); a failed tick is logged, the next one runs. */
export function periodicWorker(name: string, everyMs: number, tick: () => Promise<unknown>, logger: Logger, runAtStart = false): Worker {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  const run = () => {
    if (running) return;
    running = tick()
      .catch((err: unknown) => logger.warn({ err, worker: name }, 'worker tick failed'))
      .finally(() => (running = undefined));
  };
  return {
    name,
    start() {
      if (runAtStart) run();
      timer = setInterval(run, everyMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}

/**
 * What a process must undo on the way out, in reverse order of acquisition: workers stopped,
 * servers closed, connections ended. A step that fails is logged and the rest still run.
 */
export class Teardown {
  private readonly steps: { name: string; run: () => unknown }[] = [];
  private readonly ending = new AbortController();
  constructor(private readonly logger: Logger) {}

  /** Aborted when the teardown begins: background waits (a server still out of reach) end with it. */
  get signal(): AbortSignal {
    return this.ending.signal;
  }

  add(name: string, run: () => unknown): void {
    this.steps.push({ name, run });
  }

  /** Starts a worker and registers its stop. */
  async startWorker(worker: Worker): Promise<void> {
    await worker.start();
    this.add(worker.name, () => worker.stop());
  }

  async run(): Promise<void> {
    this.ending.abort();
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.run();
      } catch (err) {
        this.logger.warn({ err, step: step.name }, 'shutdown step failed');
      }
    }
  }
}
