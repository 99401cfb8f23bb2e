import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseJson } from './config';
import { canonicalJson } from './content-hash';
import type { Envelope } from './envelope';
import { staging } from './pipeline';
import type { Customer, DeletedRecord, Product } from './records';
import { CustomerSchema, DeletedRecordSchema, ProductSchema } from './records';

/* The staging bucket of merge-consumer (writes) and flush (delivers): format, keys, rule, store. */

/** The Kafka offsets one merge-consumer invocation covered, per topic-partition. */
const OffsetRangeSchema = z.object({
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

/**
 * One S3 object under `staging/YYYY/MM/DD/<batchId>.json` (DESIGN.md, Staging). New kinds of
 * content are added as optional arrays, like `recordPositions`.
 */
export const StagedBatchSchema = z.object({
  batchId: z.string().min(1),
  createdAt: z.iso.datetime({ offset: true }),
  customers: z.array(CustomerSchema),
  products: z.array(ProductSchema),
  /** Optional (older objects have none): the ids whose latest version in the batch is a delete. */
  deletedCustomers: z.array(DeletedRecordSchema).optional(),
  deletedProducts: z.array(DeletedRecordSchema).optional(),
  offsets: z.array(OffsetRangeSchema),
  /** Optional (older objects have none): each record's Kafka position by `entityKey`, for {@link latestPerId}. */
  recordPositions: z.record(z.string(), RecordPositionSchema).optional(),
  /** Optional (additive): every version key it accounts for, superseded ones included. */
  recordVersions: z.array(z.string().min(1)).optional(),
});
export type StagedBatch = z.infer<typeof StagedBatchSchema>;

/** Every record of a staged object, deletes included: what merge-consumer stages and flush packs. */
export function stagedRecords(batch: StagedBatch): (Customer | Product | DeletedRecord)[] {
  const { customers, products, deletedCustomers = [], deletedProducts = [] } = batch;
  return [...customers, ...products, ...deletedCustomers, ...deletedProducts];
}

/**
 * The batch id of the invocation that covered `ranges` (sha256 of the sorted ranges, 32 hex): the
 * same offsets in any order give the same id, so a retry finds the object its earlier attempt wrote.
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

const STAGED_KEY = /^staging\/(\d{4}\/\d{2}\/\d{2})\/([^/]+)\.json$/;

/** `staging/YYYY/MM/DD/<batchId>.json` → its parts, or undefined for a key of another shape. */
export function parseStagedKey(key: string): { datePath: string; batchId: string } | undefined {
  const match = STAGED_KEY.exec(key);
  if (!match?.[1] || !match[2]) return undefined;
  return { datePath: match[1], batchId: match[2] };
}

/** Where a staged object can be; flush moves it only forwards in this order (copy, then delete). */
const STAGED_PLACES = ['staging', 'dlq', 'delivered'] as const;
export type StagedPlace = (typeof STAGED_PLACES)[number];

/** The key of the object staged under `stagedKey` (any key under `staging/`) once at `place`. */
export function keyAt(stagedKey: string, place: StagedPlace): string {
  return `${staging.prefixes[place]}${stagedKey.slice(staging.prefixes.staging.length)}`;
}

/** The keys of one staged object, in the order {@link STAGED_PLACES} gives. */
export function stagedObjectKeys(stagedKey: string): string[] {
  return STAGED_PLACES.map((place) => keyAt(stagedKey, place));
}

/** A staged record, as {@link latestPerId} compares it. */
export interface StagedVersion {
  record: { id: string; updatedAt: string } | DeletedRecord;
  position?: RecordPosition | undefined;
}

/**
 * `a` is later than `b` (docs/DESIGN.md, "Latest version per id"): by offset within a partition,
 * else time, else content, so every rebuild of a payload picks the same one and keeps its bytes.
 */
function isLater(a: StagedVersion, b: StagedVersion): boolean {
  if (a.position && b.position && a.position.partition === b.position.partition) {
    const byOffset = BigInt(a.position.offset) - BigInt(b.position.offset);
    if (byOffset !== 0n) return byOffset > 0n;
  }
  const time = ({ record }: StagedVersion) =>
    Date.parse('deletedAt' in record ? record.deletedAt : record.updatedAt);
  const byTime = time(a) - time(b);
  if (byTime !== 0) return byTime > 0;
  return canonicalJson(a.record) > canonicalJson(b.record);
}

/**
 * The latest version per id (merge-consumer within a batch, flush across a payload's batches), in
 * the order ids first appear; `versionOf` names an item's entity (`entityKey`) and version.
 */
export function latestPerId<T>(
  items: readonly T[],
  versionOf: (item: T) => StagedVersion & { entity: string },
): T[] {
  const latest = new Map<string, { item: T; version: StagedVersion }>();
  for (const item of items) {
    const version = versionOf(item);
    const current = latest.get(version.entity);
    if (current === undefined || isLater(version, current.version))
      latest.set(version.entity, { item, version });
  }
  return [...latest.values()].map(({ item }) => item);
}

/** One staged object's text checked against StagedBatchSchema and its own key. */
export function parseStagedObject(
  stagedKey: string,
  raw: string | undefined,
):
  | { kind: 'valid'; batch: StagedBatch }
  | { kind: 'invalid'; reason: string }
  | { kind: 'missing' } {
  if (raw === undefined) return { kind: 'missing' };
  const keyParts = parseStagedKey(stagedKey);
  if (!keyParts) return { kind: 'invalid', reason: 'key is not staging/YYYY/MM/DD/<batchId>.json' };
  const read = parseJson(StagedBatchSchema, raw, 'StagedBatchSchema');
  if ('reason' in read) return { kind: 'invalid', reason: read.reason };
  if (read.data.batchId !== keyParts.batchId) {
    const reason = `batchId ${read.data.batchId} does not match the key's ${keyParts.batchId}`;
    return { kind: 'invalid', reason };
  }
  return { kind: 'valid', batch: read.data };
}

export interface StoredObjectSummary {
  key: string;
  lastModified: Date;
}

/** The staging bucket's objects (text); tests use an in-memory {@link StagingStore}. */
export class S3StagingStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** Every object under `prefix`, across all ListObjectsV2 pages. */
  async list(prefix: string): Promise<StoredObjectSummary[]> {
    const objects: StoredObjectSummary[] = [];
    const input = { Bucket: this.bucket, Prefix: prefix };
    for await (const page of paginateListObjectsV2({ client: this.s3 }, input))
      for (const { Key, LastModified } of page.Contents ?? [])
        if (Key !== undefined)
          objects.push({ key: Key, lastModified: LastModified ?? new Date(0) });
    return objects;
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await response.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async put(key: string, body: string, ifNoneMatch?: '*'): Promise<void> {
    const params = { Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' };
    await this.s3.send(new PutObjectCommand({ ...params, IfNoneMatch: ifNoneMatch }));
  }

  /** Writes the batch unless an object exists under `key` ('exists': an earlier attempt wrote it). */
  async putIfAbsent(key: string, batch: StagedBatch): Promise<'created' | 'exists'> {
    try {
      await this.put(key, JSON.stringify(batch), '*');
      return 'created';
    } catch (error) {
      if (httpStatus(error) === 412) return 'exists';
      throw error;
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const CopySource = `${this.bucket}/${encodeURIComponent(fromKey).replace(/%2F/g, '/')}`;
    await this.s3.send(new CopyObjectCommand({ Bucket: this.bucket, Key: toKey, CopySource }));
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

export type StagingStore = Pick<S3StagingStore, keyof S3StagingStore>;

const httpStatus = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;

const isNotFound = (error: unknown): boolean =>
  httpStatus(error) === 404 || (error as Error | undefined)?.name === 'NoSuchKey';
