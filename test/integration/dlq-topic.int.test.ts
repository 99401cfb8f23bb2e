import { randomUUID } from 'node:crypto';
import type { Admin, Kafka as KafkaClient, KafkaMessage, Producer } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOnFailureMessages } from '../../localstack/runtime/msk-event';
import { DlqPublisher } from '../../lambdas/shared/dlq';
import { DlqTopic } from '../../lambdas/flush/dlq-topic';
import { dlqRedriveGroupId } from '../../lambdas/shared/pipeline';
import { connectKafka } from '../support/local-stack';

/**
 * `dlq list` / `dlq redrive` of the records the event source mapping dead-lettered, against the
 * real broker: the messages are the emulator's (shape-checked against AWS's sample in
 * localstack/runtime/msk-event.test.ts), the source topic a real one.
 */

let kafka: KafkaClient;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  let close: () => Promise<void>;
  ({ kafka, admin, producer, close } = await connectKafka('dlq-topic-test'));
  return close;
});

async function readAll(topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `dlq-topic-reader-${randomUUID()}` });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        messages.push(message);
        if (messages.length >= count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return messages;
}

describe("DlqTopic (the mapping's on-failure records)", () => {
  it(
    'lists them, republishes the latest version of each key once and remembers it',
    { timeout: 120_000 },
    async () => {
      const source = `dlq-topic-src-${randomUUID()}`;
      const dlq = `dlq-topic-dlq-${randomUUID()}`;
      await admin.createTopics({
        topics: [
          { topic: source, numPartitions: 1 },
          { topic: dlq, numPartitions: 1 },
        ],
      });
      const produced = [
        { key: 'C1', value: 'C1 v1' },
        { key: 'C2', value: 'C2 v1', headers: { op: 'upsert' } },
        { key: 'C1', value: 'C1 v2' },
        { key: 'C3', value: null, headers: { op: Buffer.from([0xc3, 0xab]) } },
      ];
      await producer.send({ topic: source, acks: -1, messages: produced });
      const read = await readAll(source, produced.length);
      // The mapping gave up on C1 v1 (a later C1 was delivered), C2 and the tombstone of C3.
      const failed = [0, 1, 3].map((offset) => ({
        topic: source,
        partition: 0,
        offset: BigInt(offset),
        message: read[offset]!,
        receivedAt: Date.now(),
      }));
      const onFailure = buildOnFailureMessages({
        records: failed,
        source: {
          eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/c/u',
          bootstrapServers: 'b:9092',
        },
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:merge-consumer',
        condition: 'RetryAttemptsExhausted',
        invokeCount: 4,
      });
      await producer.send({
        topic: dlq,
        acks: -1,
        messages: onFailure.map(({ key, value }) => ({ key, value: JSON.stringify(value) })),
      });
      // A handler's own DLQ message (header `stage`) is not the mapping's: not listed, not redriven.
      await new DlqPublisher(producer, dlq).publish([
        { stage: 'merge', reason: 'invalid', attempts: 1, origin: {}, record: '{}' },
      ]);

      const topic = new DlqTopic(kafka, producer, dlq);
      const listed = await topic.listFailed();
      expect(listed.map(({ position, key }) => [position, key])).toEqual([
        [`${source}-0@0`, 'C1'],
        [`${source}-0@1`, 'C2'],
        [`${source}-0@3`, 'C3'],
      ]);
      expect(listed[0]?.condition).toBe('RetryAttemptsExhausted');

      expect(await topic.redriveFailed()).toEqual({
        republished: [`${source}-0@1`, `${source}-0@3`],
        superseded: [`${source}-0@0`],
      });
      const [c2, c3] = (await readAll(source, produced.length + 2)).slice(produced.length);
      expect(c2?.key?.toString()).toBe('C2');
      expect(c2?.value?.toString()).toBe('C2 v1');
      expect(c2?.headers?.op?.toString()).toBe('upsert');
      expect(c3?.key?.toString()).toBe('C3');
      expect(c3?.value).toBeNull();
      expect(c3?.headers?.op).toEqual(Buffer.from([0xc3, 0xab]));

      // Remembered: the redrive group's committed offset is past them.
      expect(await topic.listFailed()).toEqual([]);
      expect(await topic.redriveFailed()).toEqual({ republished: [], superseded: [] });
      // Committed nowhere else: rewinding that group lists them again, and a second redrive finds
      // C2 and C3 superseded by their first republished copies.
      await admin.setOffsets({
        groupId: dlqRedriveGroupId(dlq),
        topic: dlq,
        partitions: [{ partition: 0, offset: '0' }],
      });
      expect(await topic.listFailed()).toHaveLength(3);
      expect(await topic.redriveFailed()).toEqual({
        republished: [],
        superseded: [`${source}-0@0`, `${source}-0@1`, `${source}-0@3`],
      });
    },
  );
});
