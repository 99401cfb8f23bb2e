import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { z } from 'zod';
import type { RepoFixtureName } from './repo-fixtures';
import { loadRepoFixture } from './repo-fixtures';

/** The Kafka part of the conformance corpus (sources in test/conformance/README.md). */

const dir = new URL('./kafka/', import.meta.url);

function readJson(relative: string): unknown {
  return JSON.parse(readFileSync(new URL(relative, dir), 'utf8'));
}

/**
 * Only what every AWS Kafka record has; the optional fields (key, value, schema metadata) are
 * read as the corpus has them, so a test sees the absent ones absent.
 */
const CorpusRecordSchema = z.looseObject({
  topic: z.string(),
  partition: z.number(),
  offset: z.number(),
  timestamp: z.number(),
  timestampType: z.enum(['CREATE_TIME', 'LOG_APPEND_TIME']),
  headers: z.array(z.record(z.string(), z.array(z.number().int().min(-128).max(127)))),
});
export type CorpusRecord = z.infer<typeof CorpusRecordSchema>;

const CorpusEventSchema = z.looseObject({
  eventSource: z.enum(['aws:kafka', 'SelfManagedKafka']),
  eventSourceArn: z.string().optional(),
  bootstrapServers: z.string(),
  records: z.record(z.string(), z.array(CorpusRecordSchema)),
});
export type CorpusEvent = z.infer<typeof CorpusEventSchema>;

export interface CorpusEventFile {
  name: string;
  event: CorpusEvent;
  records: CorpusRecord[];
}

type Loaded = { event: unknown } | { unavailable: string };

function fromRepo(
  name: RepoFixtureName,
  derive: (event: CorpusEvent) => unknown = (e) => e,
): Loaded {
  const loaded = loadRepoFixture(name);
  return loaded.available
    ? { event: derive(CorpusEventSchema.parse(loaded.json)) }
    : { unavailable: loaded.reason };
}

/** Every record of the event, changed by `change` (which may drop fields). */
function mapRecords(event: CorpusEvent, change: (record: CorpusRecord) => object): CorpusEvent {
  return {
    ...event,
    records: Object.fromEntries(
      Object.entries(event.records).map(([key, list]) => [key, list.map(change)]),
    ),
  } as CorpusEvent;
}

function firstRecord(event: CorpusEvent): CorpusRecord {
  return CorpusRecordSchema.parse(Object.values(event.records).flat()[0]);
}

const base64 = (text: string): string => Buffer.from(text).toString('base64');

/** `records` holding, per topic-partition, the offsets 0 and 1 with the values "success" and "fail". */
function successThenFail(record: CorpusRecord, topicPartitions: [string, number][]) {
  return Object.fromEntries(
    topicPartitions.map(([topic, partition]) => [
      `${topic}-${partition}`,
      ['success', 'fail'].map((value, offset) => ({
        ...record,
        topic,
        partition,
        offset,
        value: base64(value),
      })),
    ]),
  );
}

const selfManagedDocsExample = (): CorpusEvent =>
  CorpusEventSchema.parse(readJson('events/self-managed-aws-docs-example.json'));

/**
 * The Kafka events of the corpus (sources in README.md): verbatim repository fixtures, read by
 * repo+path+commit; the AWS docs sample committed here; and derived events, each one documented
 * change to a verbatim one.
 */
const corpus: Record<string, () => Loaded> = {
  'msk-aws-lambda-go-signed-headers': () => fromRepo('aws-lambda-go-kafka-event'),
  'msk-powertools-python-schema-metadata': () => fromRepo('powertools-python-kafka-event-msk'),
  'msk-powertools-typescript-null-keys': () => fromRepo('powertools-typescript-kafka-default'),
  'msk-powertools-typescript-protobuf-schema-metadata': () =>
    fromRepo('powertools-typescript-kafka-protobuf-complex-confluent'),
  'msk-powertools-typescript-parser-base': () =>
    fromRepo('powertools-typescript-parser-kafka-base'),
  'self-managed-aws-docs-example': () => ({ event: selfManagedDocsExample() }),
  // Both tombstone forms: offset 1 has no `value` field (aws-lambda-go `KafkaRecord.Value` is
  // `json:"value,omitempty"`), offset 2 has `"value": null` (aws/aws-lambda-rust-runtime
  // `lambda-events/src/event/kafka/mod.rs`: `value: Option<String>`).
  'derived-tombstones': () =>
    fromRepo('aws-lambda-go-kafka-event', (event) => {
      const first = firstRecord(event);
      const { value: _value, ...withoutValue } = first;
      return {
        ...event,
        records: {
          [`${first.topic}-${first.partition}`]: [
            first,
            { ...withoutValue, offset: 1, timestamp: first.timestamp + 1, headers: [] },
            {
              ...withoutValue,
              offset: 2,
              timestamp: first.timestamp + 2,
              value: null,
              headers: [],
            },
          ],
        },
      };
    }),
  // The other value AWS's types allow (DefinitelyTyped `types/aws-lambda/trigger/msk.d.ts` @
  // 014c3b381a2296460dbcc5f9fa011aceda883fea; Powertools TS `packages/kafka/src/types/types.ts`).
  'derived-log-append-time': () =>
    fromRepo('aws-lambda-go-kafka-event', (event) =>
      mapRecords(event, (record) => ({ ...record, timestampType: 'LOG_APPEND_TIME' })),
    ),
  // Authority: powertools-lambda-python
  // `tests/functional/batch/required_dependencies/test_utilities_batch_kafka.py` @
  // 440eafef58750fcda7be2f213a4e5c5b458ece61, `build_multi_topic_kafka_event` of
  // `test_kafka_batch_processor_multi_topic_partition`: two topics, partitions 0 and 1, offsets 0
  // and 1 valued "success" and "fail", every other field as the Powertools TS record has it.
  'derived-several-partitions': () =>
    fromRepo('powertools-typescript-parser-kafka-base', (event) => ({
      ...event,
      records: successThenFail(firstRecord(event), [
        ['topic1', 0],
        ['topic2', 1],
      ]),
    })),
  // `ë` (UTF-8 `C3 AB`) as AWS serialises a header byte, signed (aws-lambda-go `JSONNumberBytes`,
  // aws-lambda-rust-runtime `headers: Vec<HashMap<String, Vec<i8>>>`).
  'derived-header-e-diaeresis': () =>
    fromRepo('powertools-typescript-parser-kafka-base', (event) =>
      mapRecords(event, (record) => ({ ...record, headers: [{ headerKey: [-61, -85] }] })),
    ),
};

export type CorpusEntry = CorpusEventFile | { name: string; unavailable: string };

/** Every Kafka event of the corpus, each checked to be a Kafka event at all, or why it is missing. */
export function kafkaCorpusEvents(): CorpusEntry[] {
  return Object.entries(corpus).map(([name, load]) => {
    const loaded = load();
    if ('unavailable' in loaded) return { name, unavailable: loaded.unavailable };
    const event = CorpusEventSchema.parse(loaded.event);
    return { name, event, records: Object.values(event.records).flat() };
  });
}

/** One test per corpus event; a skipped one, saying what to fetch, for an unavailable event. */
export function itEachCorpusEvent(
  title: string,
  test: (file: CorpusEventFile) => Promise<void> | void,
): void {
  for (const entry of kafkaCorpusEvents()) {
    if ('unavailable' in entry) it.skip(`${entry.name} ${title} (${entry.unavailable})`, () => {});
    else it(`${entry.name} ${title}`, () => test(entry));
  }
}

const BatchOutcomeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('success') }),
  z.object({ kind: z.literal('partial'), retryFrom: z.record(z.string(), z.number()) }),
  z.object({ kind: z.literal('whole-batch-failure') }),
]);

const BatchResponsesSchema = z.object({
  cases: z.array(
    z.object({
      name: z.string(),
      source: z.string(),
      response: z.unknown(),
      outcome: BatchOutcomeSchema,
    }),
  ),
});

/** Function responses with the outcome AWS documents for each, against one event. */
export function kafkaBatchResponseCases(): z.infer<typeof BatchResponsesSchema> & {
  event: CorpusEvent;
} {
  // The event of Powertools Python's `test_kafka_batch_processor_partial_failure` (README.md):
  // offsets 0 and 1 of mytopic-0 valued "success" and "fail". Built on the AWS docs sample, which
  // is committed, so that the documented cases always run.
  const sample = selfManagedDocsExample();
  const event = CorpusEventSchema.parse({
    ...sample,
    records: successThenFail(firstRecord(sample), [['mytopic', 0]]),
  });
  return { ...BatchResponsesSchema.parse(readJson('batch-responses.json')), event };
}

/** AWS's documented message on a Kafka on-failure destination, as plain JSON. */
export function kafkaOnFailureRecordSample(): Record<string, unknown> {
  return z.record(z.string(), z.unknown()).parse(readJson('on-failure-destination-record.json'));
}

/** `{ key: typeof value }`, recursively: what "same keys, same types" compares. */
export function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, shapeOf(inner)]),
    );
  return typeof value;
}
