import { IdempotencyRecordStatus } from '@aws-lambda-powertools/idempotency';
import pLimit from 'p-limit';
import type { OffsetRange, StagingStore } from '../shared/staging-format';
import { batchIdFromOffsets, stagingKey as stagingKeyFor } from '../shared/staging-format';
import type { ClaimStore, StoredClaim } from './claim-store';
import type { LocatedBatch, VersionGroup } from './merge';
import { buildStagedBatch, collapseVersions, locateStagedBatch } from './merge';
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
 * The whole dedupe rule (docs/DESIGN.md, step 2), from the version's item and, for an INPROGRESS
 * claim, the object it names wherever flush moved it (`named`, undefined when nowhere): none or
 * expired → stage; COMPLETED → duplicate; INPROGRESS naming an object that lists the version →
 * duplicate (this batch's own key too: flush may have moved it); other INPROGRESS → take over.
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
    default:
      return {
        kind: 'undecided',
        error: new MergeConsumerError(
          `idempotency item of ${versionKey} has status ${String(stored?.status)}`,
        ),
      };
  }
}

/**
 * The group commit (docs/DESIGN.md, "One write per new record version"): read every distinct
 * version's item, decide each, claim the new ones for this batch's object, then write the object
 * put-if-absent; no completion write. The object is written only if every version was decided and
 * claimed, so once written it accounts for every version claimed under its key by its writer.
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

  let stored: (StoredClaim | undefined)[];
  try {
    stored = await deps.claims.read(groups.map((group) => group.versionKey));
  } catch (error) {
    return fail(groups, error);
  }

  // One look per named object; most name the few objects the earlier invocations wrote.
  const limit = pLimit(deps.concurrency);
  const located = new Map<string, Promise<LocatedBatch | undefined>>();
  const locate = (objectKey: string): Promise<LocatedBatch | undefined> => {
    let pending = located.get(objectKey);
    if (pending === undefined) {
      pending = limit(() => locateStagedBatch(deps.staging, objectKey));
      located.set(objectKey, pending);
    }
    return pending;
  };
  const decisions = await Promise.all(
    groups.map(async (group, index): Promise<[VersionGroup, Decision]> => {
      const named = objectToLocate(stored[index]);
      try {
        const object = named === undefined ? undefined : await locate(named);
        return [group, decide(group.versionKey, stored[index], object)];
      } catch (error) {
        return [group, { kind: 'undecided', error }];
      }
    }),
  );

  const toStage: VersionGroup[] = [];
  const undecided: VersionGroup[] = [];
  for (const [group, decision] of decisions) {
    if (decision.kind === 'stage') toStage.push(group);
    else if (decision.kind === 'duplicate') result.duplicates += group.occurrences.length;
    else {
      undecided.push(group);
      result.errors.push(decision.error);
    }
  }
  if (undecided.length > 0) return fail([...toStage, ...undecided]);
  if (toStage.length === 0) return result;

  try {
    await deps.claims.claim(
      toStage.map((group) => group.versionKey),
      key,
    );
  } catch (error) {
    // Some claims may be written; they name an object that does not exist, which the retry takes over.
    return fail(toStage, error);
  }

  const batch = buildStagedBatch({
    batchId,
    createdAt: deps.now(),
    records: toStage.map((group) => group.record),
    offsets: input.ranges,
  });
  let covered: Set<string>;
  try {
    const written = await deps.staging.putIfAbsent(key, batch);
    if (written === 'created') {
      result.object = 'created';
      result.recordsStaged = batch.customers.length + batch.products.length;
      return result;
    }
    result.object = 'existing';
    // Not from the cache (it may predate the 412); flush may move it out of staging/ meanwhile.
    const existing = await locateStagedBatch(deps.staging, key);
    if (existing === undefined)
      throw new MergeConsumerError(`${key} answered 412 but cannot be found`);
    covered = existing.versions;
  } catch (error) {
    return fail(toStage, error);
  }
  const notCovered = toStage.filter((group) => !covered.has(group.versionKey));
  // Unreachable while the invariant above holds; their claims name an object that does not hold
  // them, so a retry with other boundaries takes them over.
  if (notCovered.length > 0)
    fail(
      notCovered,
      new MergeConsumerError(`${key} exists without ${notCovered.length} claimed versions`),
    );
  return result;
}
