import { randomUUID } from 'node:crypto';
import { createKafka, createLogger, ensureTopics } from '@userforge/platform';
import { testEnv } from '@userforge/testkit';

describe('Kafka (real broker)', () => {
  const logger = createLogger('test', 'silent');
  const kafka = createKafka({ clientId: 'smoke', brokers: testEnv().brokers, logger });

  it('creates a topic explicitly and round-trips a keyed message through a consumer group', async () => {
    const topic = `smoke.${randomUUID()}`;
    expect(await ensureTopics(kafka, [{ topic, numPartitions: 3 }])).toEqual([topic]);
    // A second call finds it and creates nothing.
    expect(await ensureTopics(kafka, [{ topic, numPartitions: 3 }])).toEqual([]);

    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    expect(meta.topics[0]?.partitions).toHaveLength(3);

    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `smoke-${randomUUID()}` });
    await Promise.all([producer.connect(), consumer.connect()]);
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = new Promise<{ key: string; value: string }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) =>
            resolve({ key: String(message.key), value: String(message.value) }),
        });
      });
      await producer.send({ topic, messages: [{ key: 'k1', value: JSON.stringify({ hello: 'kafka' }) }] });
      await expect(received).resolves.toEqual({ key: 'k1', value: '{"hello":"kafka"}' });
    } finally {
      await Promise.all([producer.disconnect(), consumer.disconnect()]);
    }
  });
});
