import { Kafka, logLevel, type ITopicConfig, type LogEntry } from 'kafkajs';
import type { Logger } from './logger';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs with its log lines routed into the process's pino logger. */
export function createKafka(opts: { clientId: string; brokers: string[]; logger: Logger }): Kafka {
  const child = opts.logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8 },
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        child[levels[level] ?? 'info'](extra, message);
      },
  });
}

/**
 * Creates missing topics explicitly (never rely on broker auto-creation, whose partition count is
 * whatever the broker defaults to). Existing topics are left as they are. `retries` bounds kafkajs's
 * own retrying (a caller with its own backoff wants few); `signal` abandons the attempt.
 */
export async function ensureTopics(kafka: Kafka, topics: ITopicConfig[], opts: { retries?: number; signal?: AbortSignal } = {}): Promise<string[]> {
  const admin = kafka.admin(opts.retries === undefined ? undefined : { retry: { retries: opts.retries } });
  const abandon = () => void admin.disconnect().catch(() => undefined);
  opts.signal?.addEventListener('abort', abandon, { once: true });
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
    return missing.map((t) => t.topic);
  } finally {
    opts.signal?.removeEventListener('abort', abandon);
    await admin.disconnect();
  }
}
