import {
  KafkaMskEventSchema,
  KafkaRecordSchema,
} from '@aws-lambda-powertools/parser/schemas/kafka';
import { z } from 'zod';
import type { Envelope } from '../shared/envelope';
import { EnvelopeSchema, recordVersionKey } from '../shared/envelope';
import type { OffsetRange } from '../shared/staging-format';

/**
 * Records larger than this are rejected to the DLQ: a customer or product envelope is a few KB, so
 * anything this big is a producer bug, and staging it would bloat every Analytics payload.
 */
export const MAX_RECORD_VALUE_BYTES = 256 * 1024;

/** Where a record sits in Kafka; enough to report it in `batchItemFailures` and the DLQ. */
export interface RecordPosition {
  topic: string;
  partition: number;
  offset: number;
  /** Kafka record timestamp, epoch millis. */
  timestamp: number;
}

export interface ValidRecord extends RecordPosition {
  envelope: Envelope;
  /** `eventType#id#contentHash`, the idempotency key of this record version. */
  versionKey: string;
}

export interface InvalidRecord extends RecordPosition {
  reason: string;
  /** The value as received: decoded text when it was valid base64, the raw base64 otherwise. */
  raw: string;
}

export interface ParsedMskEvent {
  /** Every record, valid or not, in event order. */
  positions: RecordPosition[];
  valid: ValidRecord[];
  invalid: InvalidRecord[];
  /** First and last offset per topic-partition the event covers. */
  ranges: OffsetRange[];
}

/**
 * The event as a whole is validated with the Powertools schema, except that each record is only
 * required to have a position: a record whose key/value/headers are broken is one poison message
 * for the DLQ, not a reason to fail the event (which would block every partition in it).
 */
const RecordPositionSchema = z.looseObject({
  topic: z.string().min(1),
  partition: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  timestamp: z.number(),
});
const MskEventShapeSchema = KafkaMskEventSchema.extend({
  records: z.record(z.string(), z.array(RecordPositionSchema)),
});

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Parses an MSK event. Throws only when the event itself is not an MSK event (a platform contract
 * violation); every bad record comes back in `invalid` with a reason.
 */
export function parseMskEvent(event: unknown): ParsedMskEvent {
  const shape = MskEventShapeSchema.safeParse(event);
  if (!shape.success) {
    throw new Error(`Not an MSK event: ${z.prettifyError(shape.error)}`);
  }
  const positions: RecordPosition[] = [];
  const valid: ValidRecord[] = [];
  const invalid: InvalidRecord[] = [];
  for (const records of Object.values(shape.data.records)) {
    for (const raw of records) {
      const position: RecordPosition = {
        topic: raw.topic,
        partition: raw.partition,
        offset: raw.offset,
        timestamp: raw.timestamp,
      };
      positions.push(position);
      const outcome = parseRecord(raw);
      if ('reason' in outcome) invalid.push({ ...position, ...outcome });
      else
        valid.push({
          ...position,
          envelope: outcome.envelope,
          versionKey: recordVersionKey(outcome.envelope),
        });
    }
  }
  return { positions, valid, invalid, ranges: offsetRanges(positions) };
}

function parseRecord(
  raw: Record<string, unknown>,
): { envelope: Envelope } | { reason: string; raw: string } {
  const rawValue = typeof raw.value === 'string' ? raw.value : JSON.stringify(raw.value ?? null);
  if (typeof raw.value !== 'string' || !STRICT_BASE64.test(raw.value)) {
    return { reason: 'value is not base64', raw: rawValue };
  }
  // Checked before decoding so an oversized record costs nothing more than its length.
  if ((raw.value.length * 3) / 4 > MAX_RECORD_VALUE_BYTES) {
    return { reason: `value larger than ${MAX_RECORD_VALUE_BYTES} bytes`, raw: rawValue };
  }
  const record = KafkaRecordSchema.safeParse(raw);
  if (!record.success) {
    return { reason: `malformed Kafka record: ${z.prettifyError(record.error)}`, raw: rawValue };
  }
  const text = record.data.value;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { reason: 'value is not JSON', raw: text };
  }
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) {
    return { reason: `invalid envelope: ${z.prettifyError(envelope.error)}`, raw: text };
  }
  const key = record.data.key;
  // The key decides the partition; a record keyed by something else than its id could reach two
  // partitions at once, which the group commit relies on never happening.
  if (key !== undefined && key !== envelope.data.payload.id) {
    return { reason: 'Kafka key does not match payload.id', raw: text };
  }
  return { envelope: envelope.data };
}

function offsetRanges(positions: readonly RecordPosition[]): OffsetRange[] {
  const byPartition = new Map<
    string,
    { topic: string; partition: number; first: number; last: number }
  >();
  for (const { topic, partition, offset } of positions) {
    const id = `${topic}-${partition}`;
    const range = byPartition.get(id);
    if (range === undefined) byPartition.set(id, { topic, partition, first: offset, last: offset });
    else {
      range.first = Math.min(range.first, offset);
      range.last = Math.max(range.last, offset);
    }
  }
  return [...byPartition.values()].map(({ topic, partition, first, last }) => ({
    topic,
    partition,
    firstOffset: String(first),
    lastOffset: String(last),
  }));
}
