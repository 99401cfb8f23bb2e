import { createHash } from 'node:crypto';
import type { AnalyticsPayload } from '../shared/analytics-payload';
import type { Envelope } from '../shared/envelope';
import type { Customer, DeletedRecord, Product } from '../shared/records';
import type { StagedBatch } from '../shared/staging-format';
import { entityKey, latestPerId, stagedRecords } from '../shared/staging-format';

export interface StagedEntry {
  stagedKey: string;
  batch: StagedBatch;
}

export interface PackLimits {
  maxRecordsPerPost: number;
  maxBytesPerPost: number;
}

/**
 * The payload's eventId (= Idempotency-Key): SHA-256 of the sorted batch ids, so the same set of
 * batches always yields the same key, whatever order they were listed in.
 */
export function eventIdFor(batchIds: readonly string[]): string {
  const sorted = [...batchIds].sort().join('\n');
  return createHash('sha256').update(sorted).digest('hex');
}

export function buildPayload(entries: readonly StagedEntry[], timestamp: string): AnalyticsPayload {
  const batchIds = entries.map((entry) => entry.batch.batchId);
  const [customers, deletedCustomers] = latestOf(entries, 'CUSTOMER', (batch) => [
    batch.customers,
    batch.deletedCustomers,
  ]);
  const [products, deletedProducts] = latestOf(entries, 'PRODUCT', (batch) => [
    batch.products,
    batch.deletedProducts,
  ]);
  return {
    eventId: eventIdFor(batchIds),
    timestamp,
    customers,
    products,
    deletedCustomers,
    deletedProducts,
    metadata: {
      source: 'ecom-sync',
      customerCount: customers.length,
      productCount: products.length,
      batchIds,
    },
  };
}

/**
 * One version per id across the payload's batches, updates and deletes together: two batches may
 * carry the same id, and the one read later from Kafka wins (`recordPositions`), by the rule
 * merge-consumer applies too. Returns the ids whose latest is an update, then those deleted.
 */
function latestOf<T extends Customer | Product>(
  entries: readonly StagedEntry[],
  eventType: Envelope['eventType'],
  recordsOf: (batch: StagedBatch) => [readonly T[], readonly DeletedRecord[] | undefined],
): [T[], DeletedRecord[]] {
  const staged = entries.flatMap(({ batch }) => {
    const [records, deleted = []] = recordsOf(batch);
    return [...records, ...deleted].map((record) => {
      const entity = entityKey(eventType, record.id);
      return { entity, record, position: batch.recordPositions?.[entity] };
    });
  });
  const latest = latestPerId(staged, (version) => version).map(({ record }) => record);
  return [
    latest.filter((record): record is T => !('deletedAt' in record)),
    latest.filter((record) => 'deletedAt' in record),
  ];
}

/**
 * Serialized bytes of a payload without records or batch ids (the eventId is always 64 hex
 * chars), plus room for the digits of the two counts and a longer timestamp.
 */
const FIXED_OVERHEAD_BYTES =
  Buffer.byteLength(JSON.stringify(buildPayload([], new Date(0).toISOString()))) + 64;

/** An upper bound of what `entry` adds to a payload's serialized size (records, commas, id). */
function entryBytes(entry: StagedEntry): number {
  const recordBytes = stagedRecords(entry.batch).reduce(
    (sum, record) => sum + Buffer.byteLength(JSON.stringify(record)) + 1,
    0,
  );
  return recordBytes + Buffer.byteLength(JSON.stringify(entry.batch.batchId)) + 1;
}

export function entryRecords(entry: StagedEntry): number {
  return stagedRecords(entry.batch).length;
}

/**
 * Greedy packer that keeps batch order (oldest first), so the same staged set always packs into
 * the same groups. A batch is never split (batches are the unit moved to delivered/), so one
 * batch larger than the limits on its own travels alone rather than being held back forever.
 */
export class PayloadPacker {
  private entries: StagedEntry[] = [];
  private records = 0;
  private bytes = FIXED_OVERHEAD_BYTES;

  constructor(private readonly limits: PackLimits) {}

  /** Adds `entry`; if it does not fit with the group so far, returns that group and starts anew. */
  add(entry: StagedEntry): StagedEntry[] | undefined {
    const records = entryRecords(entry);
    const bytes = entryBytes(entry);
    const full =
      this.entries.length > 0 &&
      (this.records + records > this.limits.maxRecordsPerPost ||
        this.bytes + bytes > this.limits.maxBytesPerPost);
    const group = full ? this.take() : undefined;
    this.entries.push(entry);
    this.records += records;
    this.bytes += bytes;
    return group;
  }

  take(): StagedEntry[] {
    const group = this.entries;
    this.entries = [];
    this.records = 0;
    this.bytes = FIXED_OVERHEAD_BYTES;
    return group;
  }
}
