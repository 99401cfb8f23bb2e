import { randomUUID } from 'node:crypto';
import type { Admin, Kafka as KafkaClient, Producer } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DLQ_RECORD_MAX_CHARS, DlqMessageSchema, DlqPublisher } from '../../lambdas/shared/dlq';
import type { DlqEntry } from '../../lambdas/shared/dlq';
import { applyLocalStackEnv, connectKafka } from '../support/local-stack';

/**
 * The DLQ publisher against the real broker, whose record batches are limited to
 * message.max.bytes (1 MiB by default, on MSK too): one invocation can dead-letter many
 * oversized records at once (the poison chaos scenario), and they must all land.
 */

let kafka: KafkaClient;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  applyLocalStackEnv();
  let close: () => Promise<void>;
  ({ kafka, admin, producer, close } = await connectKafka('dlq-publisher-test'));
  return close;
});

/** A raw record as a poison message carries it: JSON, so every quote is escaped once more. */
function oversizedRecord(index: number): string {
  return JSON.stringify({ index, payload: '"quoted"'.repeat(DLQ_RECORD_MAX_CHARS / 4) });
}

describe('DlqPublisher on the real broker', () => {
  it('lands 30 truncated oversized records published at once, each once, in order', async () => {
    const topic = `dlq-publisher-${randomUUID().slice(0, 8)}`;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
    });
    const entries: DlqEntry[] = Array.from({ length: 30 }, (_, index) => ({
      stage: 'merge',
      reason: `value is ${DLQ_RECORD_MAX_CHARS * 2} bytes, more than allowed`,
      attempts: 1,
      origin: { topic: 'inventory_data', partition: 0, offset: String(index) },
      record: oversizedRecord(index),
    }));

    const published = await new DlqPublisher(producer, topic).publish(entries);

    const [partition] = await admin.fetchTopicOffsets(topic);
    expect(Number(partition?.high)).toBe(30);
    const consumer = kafka.consumer({ groupId: `dlq-publisher-${randomUUID()}` });
    await consumer.connect();
    const read: string[] = [];
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            read.push(DlqMessageSchema.parse(JSON.parse(String(message.value))).dlqId);
            if (read.length === 30) resolve();
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    expect(read).toEqual(published.map((message) => message.dlqId));
  });
});
