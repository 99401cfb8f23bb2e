import type { Admin, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import { z } from 'zod';
import type { SeekRequest } from '../shared/kafka';
import { seekGroup } from '../shared/kafka';
import { dlqRedriveGroupId, pipeline, topics } from '../shared/pipeline';
import { parseJson } from '../shared/config';

/**
 * The event source mapping's own message on `analytics_dlq` when it gives a record up: AWS's Kafka
 * on-failure destination record (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html#kafka-ofd-record-format,
 * test/conformance/kafka/on-failure-destination-record.json), without a `stage` header. The
 * record itself is under `payload`, as a one-record event: key and value base64, headers as bytes.
 */
export const OnFailureRecordSchema = z.looseObject({
  requestContext: z.looseObject({ condition: z.string(), approximateInvokeCount: z.number() }),
  timestamp: z.string(),
  payload: z.looseObject({
    records: z.record(
      z.string(),
      z.tuple([
        z.looseObject({
          topic: z.string().min(1),
          partition: z.number().int().nonnegative(),
          offset: z.number().int().nonnegative(),
          key: z.string().nullish(),
          value: z.string().nullish(),
          headers: z.array(z.record(z.string(), z.array(z.number().int()))).default([]),
        }),
      ]),
    ),
  }),
});

/** A dead-lettered record: as `dlq list` shows it (`position` is where it was read), and as produced. */
function failedMessage(message: KafkaMessage) {
  if (message.headers?.stage !== undefined || !message.value) return undefined;
  const parsed = parseJson(OnFailureRecordSchema, message.value.toString('utf8'), 'record');
  const [record] = 'data' in parsed ? (Object.values(parsed.data.payload.records)[0] ?? []) : [];
  if (!('data' in parsed) || !record) return undefined;
  const key = record.key ? Buffer.from(record.key, 'base64') : null;
  return {
    shown: {
      position: `${record.topic}-${record.partition}@${record.offset}`,
      key: key?.toString('utf8') ?? null,
      condition: parsed.data.requestContext.condition,
      failedAt: parsed.data.timestamp,
    },
    topic: record.topic,
    partition: record.partition,
    offset: BigInt(record.offset),
    message: {
      key,
      value: record.value ? Buffer.from(record.value, 'base64') : null,
      // AWS writes header bytes signed (Java); Buffer.from takes each modulo 256.
      headers: Object.fromEntries(
        record.headers
          .flatMap((header) => Object.entries(header))
          .map(([name, bytes]) => [name, Buffer.from(bytes)]),
      ),
    },
  };
}
type FailedMessage = NonNullable<ReturnType<typeof failedMessage>>;
export type FailedRecord = FailedMessage['shown'];

/**
 * Reads `topic` through consumer group `groupId` (which must have no members) from its committed
 * offsets, or from `from` per partition (the others are skipped), up to the end offsets as of the
 * call, which it returns. It commits only where it starts.
 */
async function readToEnd(
  kafka: Kafka,
  admin: Admin,
  groupId: string,
  topic: string,
  onMessage: (partition: number, message: KafkaMessage) => void,
  from?: Map<number, bigint>,
): Promise<{ partition: number; offset: string }[]> {
  const ends = await admin.fetchTopicOffsets(topic);
  const committed = from
    ? []
    : ((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? []);
  // Each partition with records left to read, and its end.
  const pending = new Map<number, bigint>();
  const starts = ends.map(({ partition, low, high }) => {
    const committedAt = committed.find((entry) => entry.partition === partition)?.offset;
    const start = from ? (from.get(partition) ?? BigInt(high)) : BigInt(committedAt ?? -1);
    const offset = start < BigInt(low) ? BigInt(low) : start;
    if (offset < BigInt(high)) pending.set(partition, BigInt(high));
    return { partition, offset: String(offset) };
  });
  await admin.setOffsets({ groupId, topic, partitions: starts });
  const read = ends.map(({ partition, high }) => ({ partition, offset: high }));
  if (pending.size === 0) return read;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error));
      consumer
        .run({
          autoCommit: false,
          eachMessage: ({ partition, message }) => {
            const end = pending.get(partition);
            if (end !== undefined && BigInt(message.offset) < end) onMessage(partition, message);
            if (end !== undefined && BigInt(message.offset) + 1n >= end) pending.delete(partition);
            if (pending.size === 0) resolve();
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return read;
}

/**
 * The records on `analytics_dlq` that the event source mapping gave up on, and their redrive; run
 * by flush, which (unlike an operator's machine) reaches MSK inside the VPC.
 * What was redriven is remembered as the committed offsets of the group `dlqRedriveGroupId` on
 * the DLQ topic: `list` and `redrive` read from there, and a redrive commits the end it read only
 * after every record it republished was acked. After a redrive that died before its commit, the
 * next one finds each copy later in its partition and skips the original (superseded); a copy
 * sent twice by a retried send is deduped by the merge-consumer.
 */
export class DlqTopic {
  constructor(
    private readonly kafka: Kafka,
    private readonly producer: Pick<Producer, 'send'>,
    private readonly topic: string = topics.dlq,
    private readonly groupId = dlqRedriveGroupId(topic),
  ) {}

  listFailed(): Promise<FailedRecord[]> {
    return this.withAdmin(async (admin) =>
      (await this.readFailed(admin)).failed.map((record) => record.shown),
    );
  }

  /**
   * Republishes each record to its source topic with its own key, value and headers (a new
   * timestamp: the original one may be older than MaximumRecordAgeInSeconds), unless its source
   * partition holds a later record with the same key: the mapping orders versions by offset, and
   * the later one is, or will be, delivered. The source is scanned from the earliest record to
   * redrive; what retention deleted cannot supersede anything.
   */
  redriveFailed(): Promise<{ republished: string[]; superseded: string[] }> {
    return this.withAdmin(async (admin) => {
      const { failed, ends } = await this.readFailed(admin);
      const latest = new Map<string, bigint>();
      const keyOf = (topic: string, partition: number, key: Buffer | null) =>
        `${topic}-${partition}#${key?.toString('base64') ?? ''}`;
      for (const topic of new Set(failed.map((record) => record.topic))) {
        if (topic === this.topic)
          throw new Error(`a dead-lettered record names ${topic} as its source`);
        const from = new Map<number, bigint>();
        for (const { partition, offset } of failed.filter((record) => record.topic === topic))
          if (offset < (from.get(partition) ?? offset + 1n)) from.set(partition, offset);
        const onMessage = (partition: number, message: KafkaMessage) => {
          const key = keyOf(topic, partition, message.key);
          if (BigInt(message.offset) > (latest.get(key) ?? -1n))
            latest.set(key, BigInt(message.offset));
        };
        await readToEnd(this.kafka, admin, this.groupId, topic, onMessage, from);
      }
      const isLatest = (record: FailedMessage) =>
        (latest.get(keyOf(record.topic, record.partition, record.message.key)) ?? -1n) <=
        record.offset;
      // By position: the mapping may have written one record twice (at least once).
      const redrive = new Map(
        failed.filter(isLatest).map((record) => [record.shown.position, record]),
      );
      for (const topic of new Set([...redrive.values()].map((record) => record.topic))) {
        const messages = [...redrive.values()].flatMap((record) =>
          record.topic === topic ? [record.message] : [],
        );
        await this.send(topic, messages);
      }
      await admin.setOffsets({ groupId: this.groupId, topic: this.topic, partitions: ends });
      return {
        republished: [...redrive.keys()],
        superseded: failed.filter((record) => !isLatest(record)).map(({ shown }) => shown.position),
      };
    });
  }

  /**
   * `replay --redeliver`: republishes the latest record per key of the range `seekGroup` picks (as
   * in redriveFailed, a later one supersedes it) with a new delivery generation (envelope
   * `generation`, a tombstone's header), so the merge-consumer takes it as new (runbook, Replay).
   */
  redeliver(request: Omit<SeekRequest, 'groupId'>) {
    const [groupId, generation] = [`${this.groupId}-redeliver`, new Date().toISOString()];
    return this.withAdmin(async (admin) => {
      const range = await seekGroup(admin, { ...request, groupId });
      const latest = new Map<string, Message>();
      await readToEnd(this.kafka, admin, groupId, request.topic, (partition, message) => {
        const { key, value, headers } = message;
        const json = value && parseJson(z.looseObject({}), value.toString(), 'record');
        if (json && 'reason' in json) return; // poison: dead-lettered when the mapping read it
        latest.set(`${partition}#${key?.toString('base64') ?? ''}`, {
          key,
          value: json && JSON.stringify({ ...json.data, generation }),
          headers: json ? headers : { ...headers, generation },
        });
      });
      await this.send(request.topic, [...latest.values()]);
      await admin.deleteGroups([groupId]);
      return { ...range, groupId, generation, republished: latest.size };
    });
  }

  /** A replay group's start (kafka.ts `seekGroup`), for the operator who cannot reach the VPC. */
  seek(request: SeekRequest): ReturnType<typeof seekGroup> {
    return this.withAdmin((admin) => seekGroup(admin, request));
  }

  private async readFailed(admin: Admin) {
    const failed: FailedMessage[] = [];
    const ends = await readToEnd(this.kafka, admin, this.groupId, this.topic, (_, message) => {
      const record = failedMessage(message);
      if (record) failed.push(record);
    });
    return { failed, ends };
  }

  /** In sends of the pollers' size: a broker refuses a record batch over message.max.bytes. */
  private async send(topic: string, messages: Message[]): Promise<void> {
    const size = pipeline.poller.sendBatchSize;
    for (let i = 0; i < messages.length; i += size)
      await this.producer.send({ topic, acks: -1, messages: messages.slice(i, i + size) });
  }

  private async withAdmin<T>(run: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await run(admin);
    } finally {
      await admin.disconnect();
    }
  }
}
