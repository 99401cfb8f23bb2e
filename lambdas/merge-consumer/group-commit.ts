import { IdempotencyRecordStatus } from '@aws-lambda-powertools/idempotency';
import pLimit from 'p-limit';
import { z } from 'zod';
import { parseJson } from '../shared/config';
import { contentHash } from '../shared/content-hash';
import { recordVersionKey } from '../shared/envelope';
import type { Customer, DeletedRecord, Product } from '../shared/records';
import type {
  OffsetRange,
  RecordPosition,
  StagedBatch,
  StagingStore,
} from '../shared/staging-format';
import {
  StagedBatchSchema,
  batchIdFromOffsets,
  entityKey,
  latestPerId,
  stagedObjectKeys,
  stagedRecords,
  stagingKey as stagingKeyFor,
} from '../shared/staging-format';
import type { ClaimStore, StoredClaim } from './claim-store';
import type { ValidRecord } from './msk-event';
import { MergeConsumerError } from './msk-event';

export interface GroupCommitDeps {
  claims: ClaimStore;
  staging: Pick<StagingStore, 'get' | 'putIfAbsent'>;
  /** Staged objects read at once while deciding. */
  concurrency: number;
  now: () => Date;
}

export interface GroupCommitInput {
  /** The valid records of the invocation, in event order. */
  records: readonly ValidRecord[];
  /** Every offset the invocation covers (valid or not): they alone decide the batch id. */
  ranges: OffsetRange[];
  /** From the records' Kafka timestamps, never the clock: it is part of the object key. */
  batchDate: Date;
}

export interface GroupCommitResult {
  batchId: string;
  stagingKey: string;
  /** 'existing': an earlier attempt of this same batch had written it. */
  object: 'created' | 'existing' | 'none';
  /** Entities in the object this call created. */
  recordsStaged: number;
  /** Records skipped because their version was already staged (earlier batch, or twice in this one). */
  duplicates: number;
  /** Records that could not be staged; their partitions must be re-delivered from them. */
  failed: ValidRecord[];
  /** Why some records failed, for the log. */
  errors: unknown[];
}

/** What the group commit does with one record version. */
export type Decision =
  /** Claim it for this batch's object and stage it there. */
  | { kind: 'stage' }
  /** Already staged by an earlier invocation: skip it. */
  | { kind: 'duplicate' }
  /** Cannot tell: nothing of the batch is written, it is re-delivered. */
  | { kind: 'undecided'; error: unknown };

/** The staging object to look for before {@link decide} can answer, if any. */
export function objectToLocate(stored: StoredClaim | undefined): string | undefined {
  return stored?.status === IdempotencyRecordStatus.INPROGRESS ? stored.stagingKey : undefined;
}

/**
 * The whole dedupe rule (docs/DESIGN.md, "One DynamoDB write per new record version", step 2), from
 * the version's item and, for an INPROGRESS claim, the object it names wherever flush moved it.
 */
export function decide(
  versionKey: string,
  stored: StoredClaim | undefined,
  named: LocatedBatch | undefined,
): Decision {
  switch (stored?.status) {
    case undefined:
    case IdempotencyRecordStatus.EXPIRED:
      return { kind: 'stage' };
    case IdempotencyRecordStatus.COMPLETED:
      return { kind: 'duplicate' };
    case IdempotencyRecordStatus.INPROGRESS:
      return named?.versions.has(versionKey) === true ? { kind: 'duplicate' } : { kind: 'stage' };
    default: {
      const message = `idempotency item of ${versionKey} has status ${String(stored?.status)}`;
      return { kind: 'undecided', error: new MergeConsumerError(message) };
    }
  }
}

/**
 * The group commit (docs/DESIGN.md, "One DynamoDB write per new record version"): read, decide,
 * claim, then put-if-absent, with no completion write; the object is written only once every
 * version was decided and claimed.
 */
export async function groupCommit(
  input: GroupCommitInput,
  deps: GroupCommitDeps,
): Promise<GroupCommitResult> {
  const batchId = batchIdFromOffsets(input.ranges);
  const key = stagingKeyFor(batchId, input.batchDate);
  const groups = collapseVersions(input.records);
  const result: GroupCommitResult = {
    batchId,
    stagingKey: key,
    object: 'none',
    recordsStaged: 0,
    duplicates: input.records.length - groups.length,
    failed: [],
    errors: [],
  };
  const fail = (failedGroups: readonly VersionGroup[], error?: unknown): GroupCommitResult => {
    for (const group of failedGroups) result.failed.push(...group.occurrences);
    if (error !== undefined) result.errors.push(error);
    return result;
  };
  if (groups.length === 0) return result;

  // What fails when a step throws: every version until they are decided, then those being staged.
  let pending: readonly VersionGroup[] = groups;
  try {
    const stored = await deps.claims.read(groups.map((group) => group.versionKey));
    // One look per named object; most name the few objects the earlier invocations wrote.
    const limit = pLimit(deps.concurrency);
    const located = new Map<string, Promise<LocatedBatch | undefined>>();
    const locate = (objectKey: string): Promise<LocatedBatch | undefined> => {
      const look =
        located.get(objectKey) ?? limit(() => locateStagedBatch(deps.staging, objectKey));
      located.set(objectKey, look);
      return look;
    };
    const decisions = await Promise.all(
      groups.map(async (group, index): Promise<Decision> => {
        const named = objectToLocate(stored[index]);
        try {
          const object = named === undefined ? undefined : await locate(named);
          return decide(group.versionKey, stored[index], object);
        } catch (error) {
          return { kind: 'undecided', error };
        }
      }),
    );
    const toStage = groups.filter((_, index) => decisions[index]?.kind === 'stage');
    for (const decision of decisions) {
      // Its repeats in this batch are already counted (records - groups).
      if (decision.kind === 'duplicate') result.duplicates += 1;
      if (decision.kind === 'undecided') result.errors.push(decision.error);
    }
    if (decisions.some((decision) => decision.kind === 'undecided'))
      return fail(groups.filter((_, index) => decisions[index]?.kind !== 'duplicate'));
    if (toStage.length === 0) return result;

    pending = toStage;
    // A throw may leave some claims written; they name an object that does not exist, which the
    // retry takes over.
    const claimed = toStage.map((group) => group.versionKey);
    await deps.claims.claim(claimed, key);
    const batch = buildStagedBatch({
      batchId,
      createdAt: deps.now(),
      records: toStage.map((group) => group.record),
      offsets: input.ranges,
    });
    if ((await deps.staging.putIfAbsent(key, batch)) === 'created') {
      result.object = 'created';
      result.recordsStaged = stagedRecords(batch).length;
      return result;
    }
    result.object = 'existing';
    // Not from the cache (it may predate the 412); flush may move it out of staging/ meanwhile.
    const existing = await locateStagedBatch(deps.staging, key);
    if (existing === undefined)
      throw new MergeConsumerError(`${key} answered 412 but cannot be found`);
    const notCovered = toStage.filter((group) => !existing.versions.has(group.versionKey));
    // Unreachable while the invariant above holds; their claims name an object that does not hold
    // them, so a retry with other boundaries takes them over.
    const message = `${key} exists without ${notCovered.length} claimed versions`;
    if (notCovered.length > 0) fail(notCovered, new MergeConsumerError(message));
    return result;
  } catch (error) {
    return fail(pending, error);
  }
}

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
    const { versionKey } = record;
    const group = groups.get(versionKey) ?? { versionKey, record, occurrences: [] };
    group.occurrences.push(record);
    groups.set(versionKey, group);
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
  const deleted: Record<'CUSTOMER' | 'PRODUCT', DeletedRecord[]> = { CUSTOMER: [], PRODUCT: [] };
  const recordPositions: Record<string, RecordPosition> = {};
  const entityOf = (record: ValidRecord): string =>
    entityKey(record.envelope.eventType, record.envelope.payload.id);
  const positionOf = (r: ValidRecord) => ({ partition: r.partition, offset: String(r.offset) });
  const latest = latestPerId(args.records, (record) => ({
    entity: entityOf(record),
    record: record.envelope.payload,
    position: positionOf(record),
  }));
  for (const record of latest) {
    const { envelope } = record;
    if ('op' in envelope) deleted[envelope.eventType].push(envelope.payload);
    else if (envelope.eventType === 'CUSTOMER') customers.push(envelope.payload);
    else products.push(envelope.payload);
    recordPositions[entityOf(record)] = positionOf(record);
  }
  return {
    batchId: args.batchId,
    createdAt: args.createdAt.toISOString(),
    customers,
    products,
    deletedCustomers: deleted.CUSTOMER,
    deletedProducts: deleted.PRODUCT,
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
  const keys = (eventType: 'CUSTOMER' | 'PRODUCT', payloads: (Customer | Product)[]) =>
    payloads.map((payload) =>
      recordVersionKey({ eventType, payload, contentHash: contentHash(payload) }),
    );
  return new Set([...keys('CUSTOMER', batch.customers), ...keys('PRODUCT', batch.products)]);
}

/** A staged batch found where flush left it, and the record versions it accounts for. */
export interface LocatedBatch {
  key: string;
  versions: Set<string>;
}

/**
 * Finds the batch a claim names wherever flush moved it, looking in the order flush moves objects
 * (`stagedObjectKeys`; docs/DESIGN.md crash analysis, "flush moves the object"), so a move under
 * way is never missed. Undefined = it was never written.
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
