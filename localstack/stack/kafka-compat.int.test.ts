import { randomUUID } from 'node:crypto';
import type { EachMessagePayload } from 'kafkajs';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localStack } from '../../test/support/local-stack';

// Proves kafkajs 2.2.4 (unmaintained, pre-KIP-896 protocol versions) still works with the
// pinned Kafka 4.1.1 broker for everything the pipeline does with it.
describe('kafkajs against the pinned Kafka broker', () => {
  const topic = `compat-${randomUUID()}`;
  const groupId = `compat-group-${randomUUID()}`;
  const kafka = new Kafka({
    clientId: 'compat-test',
    brokers: [localStack().kafkaBrokers],
    logLevel: logLevel.WARN,
  });
  const admin = kafka.admin();

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
    });
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('produces idempotently with acks -1, consumes every message in a group and commits offsets', async () => {
    const messageCount = 300;
    const sent = Array.from({ length: messageCount }, (_, index) => ({
      key: `id-${index % 37}`,
      value: `value-${index}`,
    }));

    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const acks = await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();
    expect(acks.every((ack) => ack.errorCode === 0)).toBe(true);

    const topicOffsets = await admin.fetchTopicOffsets(topic);
    const highWatermarks = new Map(topicOffsets.map((offset) => [offset.partition, offset.high]));
    const totalWritten = topicOffsets.reduce((sum, offset) => sum + Number(offset.high), 0);
    expect(totalWritten).toBe(messageCount);

    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    const received: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const allReceived = new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic: from, partition, message }: EachMessagePayload) => {
          received.push(message.value?.toString() ?? '');
          await consumer.commitOffsets([
            { topic: from, partition, offset: String(Number(message.offset) + 1) },
          ]);
          if (received.length === messageCount) resolve();
        },
      });
    });
    await allReceived;
    await consumer.disconnect();

    expect([...received].sort()).toEqual(sent.map((message) => message.value).sort());

    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committedByPartition = committed[0]?.partitions ?? [];
    expect(committedByPartition).toHaveLength(3);
    for (const { partition, offset } of committedByPartition) {
      expect(offset).toBe(highWatermarks.get(partition));
    }
  });
});
