import {
  KafkaMskEventSchema,
  KafkaRecordSchema,
  KafkaSelfManagedEventSchema,
} from '@aws-lambda-powertools/parser/schemas/kafka';
import { z } from 'zod';
import { issuePaths } from '../shared/config';
import type { DeleteEnvelope, Envelope } from '../shared/envelope';
import { DeleteEnvelopeSchema, EnvelopeSchema, recordVersionKey } from '../shared/envelope';
import type { OffsetRange } from '../shared/staging-format';

/** The base class of merge-consumer's own errors; names are literals (the bundle is minified). */
export class MergeConsumerError extends Error {
  override name = 'MergeConsumerError';
}

/**
 * Records larger than this are rejected to the DLQ: a customer or product envelope is a few KB, so
 * anything this big is a producer bug, and staging it would bloat every Analytics payload.
 */
export const MAX_RECORD_VALUE_BYTES = 256 * 1024;

export interface ValidRecord extends RecordPosition {
  /** A delete (a tombstone, `op: 'delete'`) is a record version like an update. */
  envelope: Envelope | DeleteEnvelope;
  /** `eventType#id#contentHash`, the idempotency key of this record version. */
  versionKey: string;
}

export interface InvalidRecord extends RecordPosition {
  /** For the DLQ message: may quote parts of the value, so it is never logged. */
  reason: string;
  /** Safe to log: where the schema failed, without the messages (which may quote an e-mail). */
  issues: { path: string; code: string }[];
  /** The value as received: decoded text when it was valid base64, the raw base64 otherwise. */
  raw: string;
}

/**
 * The event is validated with the Powertools schemas (MSK, and self-managed Kafka for the
 * `localstack` target), but a record need only have a position: one with a broken key, value or
 * headers is a poison message for the DLQ, not a reason to fail the event (and its partitions).
 */
const RecordPositionSchema = z.object({
  topic: z.string().min(1),
  partition: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  /** Kafka record timestamp, epoch millis. */
  timestamp: z.number(),
});
/** Where a record sits in Kafka; enough to report it in `batchItemFailures` and the DLQ. */
export type RecordPosition = z.infer<typeof RecordPositionSchema>;
const RelaxedRecordsSchema = z.record(z.string(), z.array(RecordPositionSchema.loose()));
const MskEventShapeSchema = z.discriminatedUnion('eventSource', [
  KafkaMskEventSchema.extend({ records: RelaxedRecordsSchema }),
  KafkaSelfManagedEventSchema.extend({ records: RelaxedRecordsSchema }),
]);

/**
 * Powertools' record schema, except where AWS sends more than it accepts:
 * - header values come as Java's signed bytes (`ë` arrives as `[-61, -85]`; aws-lambda-go and
 *   aws-lambda-rust-runtime type them int8), and Powertools' `String.fromCodePoint(...bytes)` throws
 *   a RangeError on any negative one, failing the whole invocation. Decoded here as UTF-8;
 * - a null key comes as `"key": null` as well as without `key` (Powertools' own kafkaEventMsk.json
 *   fixtures have both); both are "no key";
 * - a tombstone (null value) arrives without `value`, or with `value: null` (aws-lambda-go omits
 *   it, aws-lambda-rust-runtime types it Option<String>).
 */
const AwsKafkaRecordSchema = KafkaRecordSchema.extend({
  key: KafkaRecordSchema.shape.key.nullable().transform((key) => key ?? undefined),
  value: KafkaRecordSchema.shape.value.nullish().transform((value) => value ?? undefined),
  headers: z.array(
    z.record(
      z.string(),
      z
        .array(z.number().int().min(-128).max(255))
        .transform((bytes) => Buffer.from(bytes.map((byte) => byte & 0xff)).toString('utf8')),
    ),
  ),
});

/**
 * Parses an MSK event: every record's position, valid or not, in event order, the valid and the
 * invalid ones (with a reason), and the first and last offset per topic-partition. Throws only when
 * the event itself is not an MSK event (a platform contract violation).
 */
export function parseMskEvent(event: unknown) {
  const shape = MskEventShapeSchema.safeParse(event);
  if (!shape.success)
    throw new MergeConsumerError(`Not an MSK event: ${z.prettifyError(shape.error)}`);
  const positions: RecordPosition[] = [];
  const valid: ValidRecord[] = [];
  const invalid: InvalidRecord[] = [];
  for (const raw of Object.values(shape.data.records).flat()) {
    const { topic, partition, offset, timestamp } = raw;
    const position = { topic, partition, offset, timestamp };
    positions.push(position);
    const outcome = parseRecord(raw);
    if ('reason' in outcome) invalid.push({ ...position, ...outcome });
    else valid.push({ ...position, ...outcome, versionKey: recordVersionKey(outcome.envelope) });
  }
  return { positions, valid, invalid, ranges: offsetRanges(positions) };
}

function parseRecord(raw: Record<string, unknown>) {
  const rejected = (reason: string, value: string, error?: z.ZodError) => ({
    reason: error ? `${reason}: ${z.prettifyError(error)}` : reason,
    issues: issuePaths(error?.issues ?? []),
    raw: value,
  });
  const tombstone = raw.value === undefined || raw.value === null;
  const rawValue =
    typeof raw.value === 'string' ? raw.value : tombstone ? '' : JSON.stringify(raw.value);
  if (!tombstone && (typeof raw.value !== 'string' || !z.regexes.base64.test(raw.value)))
    return rejected('value is not base64', rawValue);
  // Checked before decoding so an oversized record costs nothing more than its length.
  if ((rawValue.length * 3) / 4 > MAX_RECORD_VALUE_BYTES)
    return rejected(`value larger than ${MAX_RECORD_VALUE_BYTES} bytes`, rawValue);
  const record = AwsKafkaRecordSchema.safeParse(raw);
  if (!record.success) return rejected('malformed Kafka record', rawValue, record.error);
  const { key, value: text, headers } = record.data;
  if (text === undefined) {
    // A delete: its key is the id (the partition, as for any version of the id), its headers the rest.
    if (key === undefined) return rejected('tombstone without a Kafka key (must be the id)', '');
    const deleted = DeleteEnvelopeSchema.safeParse({ ...Object.assign({}, ...headers), id: key });
    if (!deleted.success)
      return rejected('tombstone without valid delete headers', '', deleted.error);
    return { envelope: deleted.data };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return rejected('value is not JSON', text);
  }
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) return rejected('invalid envelope', text, envelope.error);
  // The key decides the partition; a record keyed by something else than its id (or by nothing:
  // the producer then picks any partition) could reach two partitions at once, which the group
  // commit relies on never happening.
  if (key === undefined) return rejected('Kafka key missing (must be payload.id)', text);
  if (key !== envelope.data.payload.id)
    return rejected('Kafka key does not match payload.id', text);
  return { envelope: envelope.data };
}

function offsetRanges(positions: readonly RecordPosition[]): OffsetRange[] {
  const ranges = new Map<string, OffsetRange>();
  for (const { topic, partition, offset } of positions) {
    const [id, at] = [`${topic}-${partition}`, String(offset)];
    const range = ranges.get(id) ?? { topic, partition, firstOffset: at, lastOffset: at };
    range.firstOffset = String(Math.min(Number(range.firstOffset), offset));
    range.lastOffset = String(Math.max(Number(range.lastOffset), offset));
    ranges.set(id, range);
  }
  return [...ranges.values()];
}
