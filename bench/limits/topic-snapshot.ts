/**
 * Reads back what the pipeline published, so the raw-Kafka limit and the per-record baseline run
 * on "the same messages" as the pipeline.
 *
 * How it reads: the admin API gives each partition's low and high watermark at call time; a
 * consumer in a throwaway group reads from the beginning and stops once every partition has
 * reached the high watermark it had at that moment (messages produced later are ignored). The
 * group is deleted afterwards so repeated runs do not pile up groups on the broker.
 */
import type { Admin, Batch, Consumer } from 'kafkajs';
import { benchKafka, completion, throwawayGroupId, withinTimeout } from './bench-kafka';

export interface TopicMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  timestampMs: number;
}

export interface ReadTopicMessagesOptions {
  brokers: string;
  topics: string[];
  /** Default 120 s: the read as a whole, group join included. */
  timeoutMs?: number;
}

/** Where one partition's read ends: everything below `endOffset` (its high watermark at call time). */
interface PartitionRange {
  topic: string;
  partition: number;
  endOffset: number;
  /** The next offset this read still needs; done when it reaches endOffset. */
  nextOffset: number;
}

const partitionId = (topic: string, partition: number): string => `${topic}/${partition}`;

export async function readTopicMessages(
  options: ReadTopicMessagesOptions,
): Promise<TopicMessage[]> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const kafka = benchKafka(options.brokers, 'bench-topic-snapshot');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ranges = await partitionRanges(admin, options.topics);
    const pending = [...ranges.values()].filter((range) => range.nextOffset < range.endOffset);
    if (pending.length === 0) return [];

    const groupId = throwawayGroupId('bench-topic-snapshot');
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    try {
      const messages = await withinTimeout(
        consumeUntil(consumer, options.topics, ranges),
        timeoutMs,
        () => `readTopicMessages timed out after ${timeoutMs} ms: ${describeProgress(ranges)}`,
      );
      return messages.sort(byPosition);
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  } finally {
    await admin.disconnect();
  }
}

async function partitionRanges(
  admin: Admin,
  topics: readonly string[],
): Promise<Map<string, PartitionRange>> {
  const ranges = new Map<string, PartitionRange>();
  for (const topic of topics) {
    for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
      ranges.set(partitionId(topic, partition), {
        topic,
        partition,
        endOffset: Number(high),
        nextOffset: Number(low),
      });
    }
  }
  return ranges;
}

async function consumeUntil(
  consumer: Consumer,
  topics: readonly string[],
  ranges: Map<string, PartitionRange>,
): Promise<TopicMessage[]> {
  const done = completion<void>();
  const messages: TopicMessage[] = [];
  const isComplete = () =>
    [...ranges.values()].every((range) => range.nextOffset >= range.endOffset);

  consumer.on(consumer.events.CRASH, ({ payload }) => done.reject(payload.error));
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: ranges.size,
    eachBatch: async ({ batch }) => {
      const range = ranges.get(partitionId(batch.topic, batch.partition));
      if (range === undefined) return;
      collect(batch, range, messages);
      if (isComplete()) done.resolve();
    },
  });
  await done.promise;
  return messages;
}

/** Keeps the batch's messages below the partition's end offset and advances its read position. */
function collect(batch: Batch, range: PartitionRange, into: TopicMessage[]): void {
  for (const message of batch.messages) {
    const offset = Number(message.offset);
    if (offset < range.nextOffset || offset >= range.endOffset) continue;
    into.push({
      topic: batch.topic,
      partition: batch.partition,
      offset: message.offset,
      key: message.key === null ? null : message.key.toString('utf8'),
      // The pipeline never publishes tombstones; an empty value keeps the type simple if one appears.
      value: message.value ?? Buffer.alloc(0),
      timestampMs: Number(message.timestamp),
    });
    range.nextOffset = offset + 1;
  }
  // Offsets taken by control records (transaction markers) carry no message: the batch's last
  // offset still moves the read position past them.
  range.nextOffset = Math.max(range.nextOffset, Number(batch.lastOffset()) + 1);
}

function byPosition(a: TopicMessage, b: TopicMessage): number {
  return (
    a.topic.localeCompare(b.topic) ||
    a.partition - b.partition ||
    Number(a.offset) - Number(b.offset)
  );
}

function describeProgress(ranges: Map<string, PartitionRange>): string {
  return [...ranges.values()]
    .map(
      (range) =>
        `${partitionId(range.topic, range.partition)} at ${range.nextOffset}/${range.endOffset}`,
    )
    .join(', ');
}
