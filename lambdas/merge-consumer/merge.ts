import type { Customer, Product } from '../shared/records';
import type { OffsetRange, RecordPosition, StagedBatch } from '../shared/staging-format';
import { entityKey, latestPerId } from '../shared/staging-format';
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

/** The staged object for `records` (the versions this invocation stages). */
export function buildStagedBatch(args: {
  batchId: string;
  createdAt: Date;
  records: readonly ValidRecord[];
  offsets: OffsetRange[];
}): StagedBatch {
  const customers: Customer[] = [];
  const products: Product[] = [];
  const recordPositions: Record<string, RecordPosition> = {};
  const entityOf = (record: ValidRecord): string =>
    entityKey(record.envelope.eventType, record.envelope.payload.id);
  const positionOf = ({ partition, offset }: ValidRecord): RecordPosition => ({
    partition,
    offset: String(offset),
  });
  const latest = latestPerId(args.records, (record) => ({
    entity: entityOf(record),
    record: record.envelope.payload,
    position: positionOf(record),
  }));
  for (const record of latest) {
    const { envelope } = record;
    if (envelope.eventType === 'CUSTOMER') customers.push(envelope.payload);
    else products.push(envelope.payload);
    recordPositions[entityOf(record)] = positionOf(record);
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
export function versionsInBatch(batch: StagedBatch): Set<string> {
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
