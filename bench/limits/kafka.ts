/**
 * The kafkajs plumbing the bench and chaos share (a quiet client, a bounded wait, a reader of a
 * topic up to its end), and scenario 4's first limit: what kafkajs and the local broker do with
 * the pipeline's own messages when nothing else happens to them.
 */
import { randomUUID } from 'node:crypto';
import type { Batch, Consumer } from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import { createProducer } from '../../lambdas/shared/kafka';
import { pipeline, topics } from '../../lambdas/shared/pipeline';

/** A kafkajs client that logs nothing, so the bench's tables are not interleaved with noise. */
export function benchKafka(brokers: string, clientIdPrefix: string): Kafka {
  return new Kafka({
    clientId: `${clientIdPrefix}-${randomUUID().slice(0, 8)}`,
    brokers: brokers.split(',').map((broker) => broker.trim()),
    logLevel: logLevel.NOTHING,
  });
}

/** Rejects with `describe()` (evaluated at the timeout) if `work` is not done in time. */
export async function withinTimeout<T>(
  work: Promise<T>,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(describe())), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `consumer` in a throwaway group and resolves once it has joined and received its
 * assignment (measurements start their clock after the one-off join); `done` settles when
 * `eachBatch` says so, or rejects if the consumer crashes.
 */
export async function consumeFromStart(
  consumer: Consumer,
  topicNames: readonly string[],
  eachBatch: (batch: Batch) => boolean,
): Promise<{ done: Promise<void> }> {
  let resolve = (): void => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const done = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  // Rejected before anyone awaits it (a crash during setup) must not be "unhandled".
  done.catch(() => undefined);
  consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
  const joined = new Promise<void>((resolve) => {
    const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
      remove();
      resolve();
    });
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topicNames], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 16,
    eachBatch: async ({ batch }) => {
      if (eachBatch(batch)) resolve();
    },
  });
  await withinTimeout(joined, 60_000, () => 'consumer did not join its group within 60 s');
  return { done };
}

export interface TopicMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  timestampMs: number;
}

/**
 * Every message of `topicNames` below each partition's high watermark at call time, in
 * (topic, partition, offset) order: a throwaway group reads from the beginning and stops at the
 * watermarks (later messages are ignored), then is deleted.
 */
export async function readTopics(
  brokers: string,
  topicNames: readonly string[],
  timeoutMs = 120_000,
): Promise<TopicMessage[]> {
  const kafka = benchKafka(brokers, 'bench-topic-reader');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<string, number>();
    const next = new Map<string, number>();
    for (const topic of topicNames) {
      for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
        if (Number(high) > Number(low)) ends.set(`${topic}/${partition}`, Number(high));
        next.set(`${topic}/${partition}`, Number(low));
      }
    }
    if (ends.size === 0) return [];
    const groupId = `bench-topic-reader-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    const messages: TopicMessage[] = [];
    try {
      const { done } = await consumeFromStart(consumer, topicNames, (batch) => {
        const id = `${batch.topic}/${batch.partition}`;
        const end = ends.get(id) ?? 0;
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          if (offset < (next.get(id) ?? 0) || offset >= end) continue;
          messages.push({
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            key: message.key === null ? null : message.key.toString('utf8'),
            value: message.value ?? Buffer.alloc(0),
            timestampMs: Number(message.timestamp),
          });
        }
        // Control records (transaction markers) carry no message: the batch's last offset still counts.
        next.set(id, Math.max(next.get(id) ?? 0, Number(batch.lastOffset()) + 1));
        return [...ends].every(([key, high]) => (next.get(key) ?? 0) >= high);
      });
      await withinTimeout(
        done,
        timeoutMs,
        () => `${topicNames.join(', ')} not read to the end in ${timeoutMs} ms`,
      );
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
    return messages.sort(
      (a, b) =>
        a.topic.localeCompare(b.topic) ||
        a.partition - b.partition ||
        Number(a.offset) - Number(b.offset),
    );
  } finally {
    await admin.disconnect();
  }
}

/** Bytes of key plus value, what MSK bills as data in and a Kafka rate is quoted against. */
export function messageBytes(
  messages: ReadonlyArray<{ key: string | null; value: Buffer }>,
): number {
  return messages.reduce(
    (sum, { key, value }) => sum + value.length + (key === null ? 0 : Buffer.byteLength(key)),
    0,
  );
}

/** Events per second over `elapsedMs`; 0 when nothing was counted. */
export function perSecond(count: number, elapsedMs: number): number {
  if (count === 0) return 0;
  if (!(elapsedMs > 0)) throw new Error(`cannot compute a rate of ${count} over ${elapsedMs} ms`);
  return count / (elapsedMs / 1000);
}

export interface RawKafkaResult {
  messages: number;
  bytes: number;
  seconds: number;
  recordsPerSecond: number;
  produceRecordsPerSecond: number;
  consumeRecordsPerSecond: number;
  partitions: number;
  /** Messages the consumer received a second time (0 unless the group rebalanced mid-run). */
  redelivered: number;
}

/**
 * A fresh topic with the pipeline's partition count; a consumer in a fresh group joins first,
 * then the pollers' producer (createProducer: idempotent, acks -1) sends the messages in chunks of
 * `pipeline.poller.sendBatchSize`, one after another as the pollers do, while the consumer reads.
 * `seconds` runs from the first send to the last message consumed. The consumer must see every
 * (partition, offset) once and every byte sent. The topic and group are deleted afterwards.
 */
export async function measureRawKafka(options: {
  brokers: string;
  messages: ReadonlyArray<{ key: string | null; value: Buffer }>;
  timeoutMs?: number;
}): Promise<RawKafkaResult> {
  const { messages } = options;
  const partitions = pipeline.topics[topics.customers].partitions;
  const bytes = messageBytes(messages);
  if (messages.length === 0) throw new Error('measureRawKafka needs at least one message');
  const kafka = benchKafka(options.brokers, 'bench-raw-kafka');
  const topic = `bench-raw-kafka-${randomUUID().slice(0, 8)}`;
  const groupId = `bench-raw-kafka-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const producer = createProducer(kafka);
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    });
    const seen = new Set<string>();
    let consumedBytes = 0;
    let redelivered = 0;
    let firstMs: number | undefined;
    let lastMs = 0;
    const { done } = await consumeFromStart(consumer, [topic], (batch) => {
      firstMs ??= performance.now();
      for (const message of batch.messages) {
        const position = `${batch.partition}:${message.offset}`;
        if (seen.has(position)) {
          redelivered++;
          continue;
        }
        seen.add(position);
        consumedBytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
      }
      lastMs = performance.now();
      return seen.size >= messages.length;
    });
    await producer.connect();
    const startMs = performance.now();
    const chunk = pipeline.poller.sendBatchSize;
    for (let start = 0; start < messages.length; start += chunk) {
      const slice = messages.slice(start, start + chunk).map(({ key, value }) => ({ key, value }));
      await producer.send({ topic, acks: -1, messages: slice });
    }
    const producedMs = performance.now();
    const timeoutMs = options.timeoutMs ?? 300_000;
    await withinTimeout(
      done,
      timeoutMs,
      () => `raw Kafka consumer saw ${seen.size}/${messages.length} messages in ${timeoutMs} ms`,
    );
    if (consumedBytes !== bytes) {
      throw new Error(`raw Kafka consumer read ${consumedBytes} bytes of ${bytes} sent`);
    }
    return {
      messages: seen.size,
      bytes,
      seconds: (lastMs - startMs) / 1000,
      recordsPerSecond: perSecond(messages.length, lastMs - startMs),
      produceRecordsPerSecond: perSecond(messages.length, producedMs - startMs),
      consumeRecordsPerSecond: perSecond(messages.length, lastMs - (firstMs ?? startMs)),
      partitions,
      redelivered,
    };
  } finally {
    // Best effort: a failed cleanup must not hide the measurement's own error.
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
