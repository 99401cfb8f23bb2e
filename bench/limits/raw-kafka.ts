/**
 * Scenario 4, first limit: what kafkajs and the local broker do with the pipeline's own messages
 * when nothing else happens to them.
 *
 * How it is measured: a fresh topic with the pipeline's partition count; a consumer in a fresh
 * group (fromBeginning, eachBatch, no processing) joins first, then the producer the pollers use
 * (createProducer: idempotent, one request in flight, default partitioner) sends the messages in
 * chunks of `producerBatchSize` with acks -1, one chunk after another as publishEnvelopes does,
 * while the consumer reads concurrently. `seconds` runs from the first send to the last message
 * consumed; the produce rate covers first send to last ack, the consume rate first message
 * received to last. The consumer must see every (partition, offset) once and the same number of
 * bytes that were sent, or the measurement fails. The topic and group are deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { createProducer } from '../../lambdas/shared/kafka';
import { pipeline, topics } from '../../lambdas/shared/pipeline';
import {
  benchKafka,
  completion,
  groupJoined,
  throwawayGroupId,
  withinTimeout,
} from './bench-kafka';
import { messageBytes, rateOver, seconds } from './rates';

export interface RawKafkaResult {
  messages: number;
  bytes: number;
  seconds: number;
  recordsPerSecond: number;
  produceRecordsPerSecond: number;
  consumeRecordsPerSecond: number;
  partitions: number;
  producerBatchSize?: number;
  /** Messages the consumer received a second time (0 unless the group rebalanced mid-run). */
  redelivered?: number;
}

export interface RawKafkaOptions {
  brokers: string;
  messages: ReadonlyArray<{ key: string | null; value: Buffer }>;
  /** Default: the partitions of the pipeline's topics (pipeline.ts). */
  partitions?: number;
  /** Default: pipeline.poller.sendBatchSize, what the pollers put in one send. */
  producerBatchSize?: number;
  /** Default 300 s for the produce and consume, setup excluded. */
  timeoutMs?: number;
}

/** What the consumer has seen so far. */
interface ConsumeProgress {
  seen: Set<string>;
  bytes: number;
  redelivered: number;
  firstAtMs: number | undefined;
  lastAtMs: number | undefined;
}

export async function measureRawKafka(options: RawKafkaOptions): Promise<RawKafkaResult> {
  const partitions = options.partitions ?? pipeline.topics[topics.customers].partitions;
  const batchSize = options.producerBatchSize ?? pipeline.poller.sendBatchSize;
  const timeoutMs = options.timeoutMs ?? 300_000;
  const total = options.messages.length;
  const bytes = messageBytes(options.messages);
  if (total === 0) throw new Error('measureRawKafka needs at least one message');

  const kafka = benchKafka(options.brokers, 'bench-raw-kafka');
  const topic = `bench-raw-kafka-${randomUUID().slice(0, 8)}`;
  const groupId = throwawayGroupId('bench-raw-kafka');
  const admin = kafka.admin();
  await admin.connect();
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const producer = createProducer(kafka);
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    });
    const progress: ConsumeProgress = {
      seen: new Set(),
      bytes: 0,
      redelivered: 0,
      firstAtMs: undefined,
      lastAtMs: undefined,
    };
    const { allConsumed } = await startCountingConsumer(consumer, {
      topic,
      partitions,
      total,
      progress,
    });
    await producer.connect();

    const startMs = performance.now();
    await sendInChunks(producer, topic, options.messages, batchSize);
    const producedMs = performance.now();
    await withinTimeout(
      allConsumed,
      timeoutMs,
      () => `raw Kafka consumer saw ${progress.seen.size}/${total} messages within ${timeoutMs} ms`,
    );
    if (progress.bytes !== bytes) {
      throw new Error(`raw Kafka consumer read ${progress.bytes} bytes of ${bytes} sent`);
    }
    const consumedFirstMs = progress.firstAtMs ?? startMs;
    const consumedLastMs = progress.lastAtMs ?? producedMs;
    const interval = { startMs, endMs: consumedLastMs };
    return {
      messages: progress.seen.size,
      bytes,
      seconds: seconds(interval),
      recordsPerSecond: rateOver(total, interval),
      produceRecordsPerSecond: rateOver(total, { startMs, endMs: producedMs }),
      consumeRecordsPerSecond: rateOver(total, { startMs: consumedFirstMs, endMs: consumedLastMs }),
      partitions,
      producerBatchSize: batchSize,
      redelivered: progress.redelivered,
    };
  } finally {
    await cleanUp({ admin, consumer, producer, topic, groupId });
  }
}

interface CountingConsumerOptions {
  topic: string;
  partitions: number;
  total: number;
  progress: ConsumeProgress;
}

/** Starts the consumer; resolves once it owns its partitions, with a promise of "all consumed". */
async function startCountingConsumer(
  consumer: Consumer,
  options: CountingConsumerOptions,
): Promise<{ allConsumed: Promise<void> }> {
  const { progress, total } = options;
  const done = completion<void>();
  consumer.on(consumer.events.CRASH, ({ payload }) => done.reject(payload.error));
  const joined = groupJoined(consumer, 60_000);
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: options.partitions,
    eachBatch: async ({ batch }) => {
      progress.firstAtMs ??= performance.now();
      for (const message of batch.messages) {
        const position = `${batch.partition}:${message.offset}`;
        if (progress.seen.has(position)) {
          progress.redelivered++;
          continue;
        }
        progress.seen.add(position);
        progress.bytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
      }
      if (progress.seen.size >= total && progress.lastAtMs === undefined) {
        progress.lastAtMs = performance.now();
        done.resolve();
      }
    },
  });
  await joined;
  return { allConsumed: done.promise };
}

async function sendInChunks(
  producer: Producer,
  topic: string,
  messages: RawKafkaOptions['messages'],
  batchSize: number,
): Promise<void> {
  for (let start = 0; start < messages.length; start += batchSize) {
    await producer.send({
      topic,
      acks: -1,
      messages: messages.slice(start, start + batchSize).map(({ key, value }) => ({ key, value })),
    });
  }
}

interface CleanUpTargets {
  admin: Admin;
  consumer: Consumer;
  producer: Producer;
  topic: string;
  groupId: string;
}

/** Best effort: a failed cleanup must not hide the measurement's own error. */
async function cleanUp(targets: CleanUpTargets): Promise<void> {
  await targets.consumer.disconnect().catch(() => undefined);
  await targets.producer.disconnect().catch(() => undefined);
  await targets.admin.deleteTopics({ topics: [targets.topic] }).catch(() => undefined);
  await targets.admin.deleteGroups([targets.groupId]).catch(() => undefined);
  await targets.admin.disconnect().catch(() => undefined);
}
