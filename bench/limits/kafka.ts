/** The kafkajs plumbing the bench and chaos share: a quiet client, a bounded wait, a topic reader. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';

/** Logs nothing, so the bench's tables are not interleaved with noise. */
export function benchKafka(brokers: string, clientIdPrefix: string): Kafka {
  return new Kafka({
    clientId: `${clientIdPrefix}-${randomUUID().slice(0, 8)}`,
    brokers: brokers.split(',').map((broker) => broker.trim()),
    logLevel: logLevel.NOTHING,
  });
}

/** Rejects with `describe()` (evaluated at the timeout) if `work` is not done in time. */
export const withinTimeout = <T>(work: Promise<T>, timeoutMs: number, describe: () => string) =>
  Promise.race([
    work,
    sleep(timeoutMs, undefined, { ref: false }).then((): never => {
      throw new Error(describe());
    }),
  ]);

/** A promise with its settle functions; a rejection nobody awaits yet is not "unhandled". */
export function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export interface TopicMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  timestampMs: number;
}

/** Every message below each partition's high watermark at call time, in (topic, partition, offset) order. */
export async function readTopics(
  brokers: string,
  topicNames: readonly string[],
): Promise<TopicMessage[]> {
  const timeoutMs = 120_000;
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
      const { promise: done, resolve, reject } = deferred();
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
      await consumer.connect();
      await consumer.subscribe({ topics: [...topicNames], fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently: 16,
        eachBatch: ({ batch }) => {
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
          if ([...ends].every(([key, high]) => (next.get(key) ?? 0) >= high)) resolve();
          return Promise.resolve();
        },
      });
      const late = () => `${topicNames.join(', ')} not read to the end in ${timeoutMs} ms`;
      await withinTimeout(done, timeoutMs, late);
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
export const messageBytes = (messages: ReadonlyArray<{ key: string | null; value: Buffer }>) =>
  messages.reduce((sum, { key, value }) => sum + value.length + Buffer.byteLength(key ?? ''), 0);

export function perSecond(count: number, elapsedMs: number): number {
  if (count === 0) return 0;
  if (!(elapsedMs > 0)) throw new Error(`cannot compute a rate of ${count} over ${elapsedMs} ms`);
  return count / (elapsedMs / 1000);
}
