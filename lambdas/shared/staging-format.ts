import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Envelope } from './envelope';
import { staging } from './pipeline';
import { CustomerSchema, ProductSchema } from './records';

/** The Kafka offsets one merge-consumer invocation covered, per topic-partition. */
export const OffsetRangeSchema = z.object({
  topic: z.string(),
  partition: z.number().int().nonnegative(),
  firstOffset: z.string(),
  lastOffset: z.string(),
});
export type OffsetRange = z.infer<typeof OffsetRangeSchema>;

/** Where one staged record was read: its partition of the entity's topic, and its offset. */
export const RecordPositionSchema = z.object({
  partition: z.number().int().nonnegative(),
  /** Kafka offsets are int64: a decimal string, compared as a BigInt. */
  offset: z.string().regex(/^\d+$/),
});
export type RecordPosition = z.infer<typeof RecordPositionSchema>;

/** `eventType#id`: one entity, whatever its version; the key of `recordPositions`. */
export function entityKey(eventType: Envelope['eventType'], id: string): string {
  return `${eventType}#${id}`;
}

/** One S3 object under `staging/YYYY/MM/DD/<batchId>.json` (DESIGN.md, Staging). */
export const StagedBatchSchema = z.object({
  batchId: z.string().min(1),
  createdAt: z.iso.datetime({ offset: true }),
  customers: z.array(CustomerSchema),
  products: z.array(ProductSchema),
  offsets: z.array(OffsetRangeSchema),
  /**
   * Optional on purpose (objects staged before it existed have none): the Kafka position of each
   * staged record, keyed by `entityKey`. When two batches in one Analytics payload carry the same
   * id, flush keeps the one read later from its partition. Not the later `updatedAt`: that is the
   * source's clock, and a clock corrected backwards makes the current version look older.
   */
  recordPositions: z.record(z.string(), RecordPositionSchema).optional(),
});
export type StagedBatch = z.infer<typeof StagedBatchSchema>;

/**
 * Optional on purpose (additive, readers that only need the records ignore it): the version keys
 * (`eventType#id#contentHash`) of every record version this object accounts for, including the
 * versions it superseded with a newer one of the same id. merge-consumer reads it after a crash to
 * decide, exactly, whether a claimed record version is already staged here.
 */
export const StagedBatchWithVersionsSchema = StagedBatchSchema.extend({
  recordVersions: z.array(z.string().min(1)).optional(),
});
export type StagedBatchWithVersions = z.infer<typeof StagedBatchWithVersionsSchema>;

/**
 * The batch id of the invocation that covered `ranges`: the same offsets always give the same id,
 * whatever order the event listed its partitions in, so a retry of the same batch finds the
 * object its earlier attempt wrote. sha256 of the sorted `topic-partition:first-last` list, hex, 32 chars.
 */
export function batchIdFromOffsets(ranges: readonly OffsetRange[]): string {
  const parts = ranges
    .map((range) => `${range.topic}-${range.partition}:${range.firstOffset}-${range.lastOffset}`)
    .sort();
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

/**
 * `staging/YYYY/MM/DD/<batchId>.json`. `date` must come from the data (the records' Kafka
 * timestamps), never from the clock: a retry on another day must write the same key.
 */
export function stagingKey(batchId: string, date: Date): string {
  const yyyy = date.getUTCFullYear().toString().padStart(4, '0');
  const mm = (date.getUTCMonth() + 1).toString().padStart(2, '0');
  const dd = date.getUTCDate().toString().padStart(2, '0');
  return `${staging.prefixes.staging}${yyyy}/${mm}/${dd}/${batchId}.json`;
}

/*
 * Where a staged batch can be during its life. merge-consumer (which writes it) and flush (which
 * moves it) must agree on these keys: merge-consumer looks for a batch wherever flush may have
 * moved it before it re-stages a claimed record version.
 */

const STAGED_KEY = /^staging\/(\d{4}\/\d{2}\/\d{2})\/([^/]+)\.json$/;

export interface StagedKeyParts {
  /** `YYYY/MM/DD` */
  datePath: string;
  batchId: string;
}

/** `staging/YYYY/MM/DD/<batchId>.json` → its parts, or undefined for a key of another shape. */
export function parseStagedKey(key: string): StagedKeyParts | undefined {
  const match = STAGED_KEY.exec(key);
  if (!match?.[1] || !match[2]) return undefined;
  return { datePath: match[1], batchId: match[2] };
}

/** Where flush moves a batch after a 2xx: the same date path under `delivered/`. */
export function deliveredKeyFor(stagedKey: string): string {
  return `${staging.prefixes.delivered}${stagedKey.slice(staging.prefixes.staging.length)}`;
}

/** Where flush quarantines a staged object that failed validation, under its original path. */
export function invalidKeyFor(key: string): string {
  return `${staging.prefixes.dlq}invalid/${key}`;
}

/**
 * `dlq/by-batch/<batchId>.json` → `{ eventId, key }`: finds a parked batch by its batchId alone.
 * flush writes it before deleting the staging copy of a batch it parks.
 */
export function parkedPointerKeyFor(batchId: string): string {
  return `${staging.prefixes.dlq}by-batch/${batchId}.json`;
}

export const ParkingPointerSchema = z.object({
  eventId: z.string().regex(/^[0-9a-f]{64}$/),
  key: z.string().startsWith(staging.prefixes.dlq),
});
export type ParkingPointer = z.infer<typeof ParkingPointerSchema>;

/** flush: the grouping of a payload, written before its POST (see `staging.prefixes.outbox`). */
export function outboxKeyFor(eventId: string): string {
  return `${staging.prefixes.outbox}${eventId}.json`;
}

export function parkedBatchKeyFor(eventId: string, batchId: string): string {
  return `${staging.prefixes.dlq}${eventId}/${batchId}.json`;
}

export function parkedManifestKeyFor(eventId: string): string {
  return `${staging.prefixes.dlq}${eventId}/manifest.json`;
}

const PARKED_MANIFEST_KEY = /^dlq\/([0-9a-f]{64})\/manifest\.json$/;

/** The eventId of a parked payload's manifest key, or undefined for any other `dlq/` key. */
export function eventIdOfParkedManifest(key: string): string | undefined {
  return PARKED_MANIFEST_KEY.exec(key)?.[1];
}
