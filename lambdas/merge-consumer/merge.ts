import type { Customer, Product } from '../shared/records';
import type {
  OffsetRange,
  RecordPosition,
  StagedBatchWithVersions,
} from '../shared/staging-format';
import { entityKey } from '../shared/staging-format';
import { contentHash } from '../shared/content-hash';
import { recordVersionKey } from '../shared/envelope';
import type { ValidRecord } from './msk-event';

/** Every occurrence of one record version in a batch (a re-poll can put the same version twice). */
export interface VersionGroup {
  versionKey: string;
  /** The first occurrence; the envelope is the same in all of them. */
  record: ValidRecord;
  occurrences: ValidRecord[];
}

/** Collapses a batch to its distinct record versions, in first-seen order, before any idempotency call. */
export function collapseVersions(records: readonly ValidRecord[]): VersionGroup[] {
  const groups = new Map<string, VersionGroup>();
  for (const record of records) {
    const group = groups.get(record.versionKey);
    if (group === undefined)
      groups.set(record.versionKey, {
        versionKey: record.versionKey,
        record,
        occurrences: [record],
      });
    else group.occurrences.push(record);
  }
  return [...groups.values()];
}

/**
 * The latest version per entity: the one read later from the source. Every version of an id is in
 * one partition (key = id), and a poller publishes what the source answers in the order it read
 * it, and the source only ever answers its current state; so the later offset is the later version.
 * Not the greater `updatedAt`: that is the source's clock, which can be corrected backwards between
 * two changes (the clock-skew chaos scenario lost records that way).
 */
export function latestPerId(records: readonly ValidRecord[]): ValidRecord[] {
  const latest = new Map<string, ValidRecord>();
  for (const record of records) {
    const id = entityKey(record.envelope.eventType, record.envelope.payload.id);
    const current = latest.get(id);
    if (current === undefined || isNewer(record, current)) latest.set(id, record);
  }
  return [...latest.values()];
}

function isNewer(candidate: ValidRecord, current: ValidRecord): boolean {
  if (candidate.topic === current.topic && candidate.partition === current.partition) {
    return candidate.offset > current.offset;
  }
  // Offsets of two partitions do not compare; one id spans partitions only after a topic's
  // partition count changed. The source's clock, then Kafka's, is the best order left.
  const a = Date.parse(candidate.envelope.payload.updatedAt);
  const b = Date.parse(current.envelope.payload.updatedAt);
  if (a !== b) return a > b;
  return candidate.timestamp > current.timestamp;
}

/** The staged object for `records` (the versions this invocation stages). */
export function buildStagedBatch(args: {
  batchId: string;
  createdAt: Date;
  records: readonly ValidRecord[];
  offsets: OffsetRange[];
}): StagedBatchWithVersions {
  const customers: Customer[] = [];
  const products: Product[] = [];
  const recordPositions: Record<string, RecordPosition> = {};
  for (const { envelope, partition, offset } of latestPerId(args.records)) {
    if (envelope.eventType === 'CUSTOMER') customers.push(envelope.payload);
    else products.push(envelope.payload);
    recordPositions[entityKey(envelope.eventType, envelope.payload.id)] = {
      partition,
      offset: String(offset),
    };
  }
  return {
    batchId: args.batchId,
    createdAt: args.createdAt.toISOString(),
    customers,
    products,
    offsets: args.offsets,
    recordPositions,
    recordVersions: [...new Set(args.records.map((record) => record.versionKey))].sort(),
  };
}

/**
 * The record versions a staged object accounts for. Objects written without `recordVersions`
 * account for exactly the versions they hold.
 */
export function versionsInBatch(batch: StagedBatchWithVersions): Set<string> {
  if (batch.recordVersions !== undefined) return new Set(batch.recordVersions);
  return new Set([
    ...batch.customers.map((payload) =>
      recordVersionKey({ eventType: 'CUSTOMER', payload, contentHash: contentHash(payload) }),
    ),
    ...batch.products.map((payload) =>
      recordVersionKey({ eventType: 'PRODUCT', payload, contentHash: contentHash(payload) }),
    ),
  ]);
}
