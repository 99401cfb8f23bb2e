import { z } from 'zod';
import type { Customer, Product } from '../shared/records';
import type {
  OffsetRange,
  RecordPosition,
  StagedBatch,
  StagingStore,
} from '../shared/staging-format';
import {
  StagedBatchSchema,
  entityKey,
  latestPerId,
  parseJson,
  stagedObjectKeys,
} from '../shared/staging-format';
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

/** A staged batch found where flush left it, and the record versions it accounts for. */
export interface LocatedBatch {
  key: string;
  versions: Set<string>;
}

/**
 * Finds the batch a claim names wherever it is now: flush moves objects out of staging/ (copy
 * first, delete after), so a missing staging key alone does not mean the attempt that claimed it
 * died before staging. Looks at every key of the object in the order flush moves it
 * (`stagedObjectKeys`), so a move under way is never missed. Undefined = it was never written.
 */
export async function locateStagedBatch(
  store: Pick<StagingStore, 'get'>,
  stagingKey: string,
): Promise<LocatedBatch | undefined> {
  for (const key of stagedObjectKeys(stagingKey)) {
    const text = await store.get(key);
    if (text !== undefined) return { key, versions: versionsOf(text) };
  }
  return undefined;
}

const RecordVersionsOnlySchema = z.object({ recordVersions: z.array(z.string()) });

/**
 * Lenient on purpose: a quarantined object failed flush's validation, yet still accounts for the
 * versions it lists. One that tells nothing accounts for nothing (its versions get staged again).
 */
function versionsOf(text: string): Set<string> {
  const batch = parseJson(StagedBatchSchema, text, 'StagedBatchSchema');
  if ('data' in batch) return versionsInBatch(batch.data);
  const listed = parseJson(RecordVersionsOnlySchema, text, 'recordVersions');
  return new Set('data' in listed ? listed.data.recordVersions : []);
}
