import type { Admin } from 'kafkajs';
import { Topics } from '@userforge/contracts';
import { periodicWorker, type Logger, type Worker } from '@userforge/platform';
import type { ConsumerMetrics } from '../metrics';

/** The `lag-monitor` worker: every 5 s, how many chunks on each partition the group has not yet committed. */
export function lagMonitor(admin: Admin, groupId: string, lag: ConsumerMetrics['lag'], logger: Logger): Worker {
  const topic = Topics.userCreateBulk;
  const measure = async () => {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    for (const end of ends) {
      const done = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      // Nothing committed yet: everything still kept on the partition counts as lag.
      const from = done === '-1' ? Number(end.low) : Number(done);
      lag.set({ topic, partition: String(end.partition) }, Math.max(Number(end.high) - from, 0));
    }
  };
  return periodicWorker('lag-monitor', 5_000, measure, logger);
}
