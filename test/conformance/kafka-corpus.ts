import { readFileSync, readdirSync } from 'node:fs';
import { z } from 'zod';

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
  file: string;
  event: CorpusEvent;
  records: CorpusRecord[];
}

/** Every Kafka event of the corpus, each checked to be a Kafka event at all. */
export function kafkaCorpusEvents(): CorpusEventFile[] {
  return readdirSync(new URL('./events/', dir))
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const event = CorpusEventSchema.parse(readJson(`events/${file}`));
      return { file, event, records: Object.values(event.records).flat() };
    });
}

const BatchOutcomeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('success') }),
  z.object({ kind: z.literal('partial'), retryFrom: z.record(z.string(), z.number()) }),
  z.object({ kind: z.literal('whole-batch-failure') }),
]);

const BatchResponsesSchema = z.object({
  event: CorpusEventSchema,
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
export function kafkaBatchResponseCases(): z.infer<typeof BatchResponsesSchema> {
  return BatchResponsesSchema.parse(readJson('batch-responses.json'));
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
