import pLimit from 'p-limit';
import type { OffsetRange } from '../shared/staging-format';
import { batchIdFromOffsets, stagingKey as stagingKeyFor } from '../shared/staging-format';
import type { ClaimStore } from './claim-store';
import type { VersionGroup } from './merge';
import { buildStagedBatch, collapseVersions } from './merge';
import type { ValidRecord } from './msk-event';
import type { LocatedBatch } from './staged-batch-locations';
import { locateStagedBatch } from './staged-batch-locations';
import type { StagingStore } from './staging-store';

export interface GroupCommitDeps {
  claims: ClaimStore;
  staging: StagingStore;
  /** Concurrent idempotency calls (and staged-object reads). */
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
  /** Records that could not be completed; their partitions must be re-delivered from them. */
  failed: ValidRecord[];
  /** Why some records failed, for the log. */
  errors: unknown[];
}

type Decision =
  | { kind: 'stage' }
  | { kind: 'duplicate' }
  | { kind: 'staged-elsewhere'; stagingKey: string }
  | { kind: 'undecided'; error: unknown };

/**
 * The group commit (DESIGN.md, correctness protocol 2): claim every distinct record version
 * INPROGRESS for this batch's object, write the object put-if-absent, and only then complete the
 * claims. Claims are never released: a crashed or failed attempt leaves them naming its object,
 * and the next attempt, with the same or different batch boundaries, decides from that object:
 * - it exists (in staging/, or wherever flush moved it: delivered/ or dlq/) and accounts for the
 *   version → the version is staged: complete the claim, skip it;
 * - it does not → the earlier attempt died before staging: take the claim over and stage it.
 * This relies on Lambda running one invocation per partition at a time, and on a record version
 * living in one partition only (key = entity id), so an INPROGRESS claim never belongs to a live
 * invocation.
 *
 * The object is written only if every version was decided. So an object, once written, accounts
 * for every version claimed under its key by the attempt that wrote it, and a retry of the same
 * batch (same offsets, same key) can only find a subset of those still to stage.
 */
export async function groupCommit(
  input: GroupCommitInput,
  deps: GroupCommitDeps,
): Promise<GroupCommitResult> {
  const batchId = batchIdFromOffsets(input.ranges);
  const key = stagingKeyFor(batchId, input.batchDate);
  const limit = pLimit(deps.concurrency);
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

  const locatedCache = new Map<string, Promise<LocatedBatch | undefined>>();
  const locate = (objectKey: string): Promise<LocatedBatch | undefined> => {
    let pending = locatedCache.get(objectKey);
    if (pending === undefined) {
      pending = locateStagedBatch(deps.staging, objectKey);
      locatedCache.set(objectKey, pending);
    }
    return pending;
  };

  const decide = async (group: VersionGroup): Promise<Decision> => {
    try {
      const outcome = await deps.claims.claim(group.versionKey, key);
      if (outcome.kind === 'claimed') return { kind: 'stage' };
      if (outcome.kind === 'completed') return { kind: 'duplicate' };
      const claimedKey = outcome.stagingKey;
      if (claimedKey !== undefined) {
        const found = await locate(claimedKey);
        if (found?.versions.has(group.versionKey)) {
          // Still in staging under our own key: the put answers 412 and completes it from there.
          if (found.key === key) return { kind: 'stage' };
          return { kind: 'staged-elsewhere', stagingKey: claimedKey };
        }
      }
      if (claimedKey === key) return { kind: 'stage' };
      await deps.claims.takeOver(group.versionKey, claimedKey, key);
      return { kind: 'stage' };
    } catch (error) {
      return { kind: 'undecided', error };
    }
  };
  const decisions = await Promise.all(groups.map((group) => limit(() => decide(group))));

  const toStage: VersionGroup[] = [];
  const toComplete: { group: VersionGroup; stagingKey: string }[] = [];
  const undecided: VersionGroup[] = [];
  decisions.forEach((decision, index) => {
    const group = groups[index]!;
    if (decision.kind === 'stage') toStage.push(group);
    else if (decision.kind === 'undecided') {
      undecided.push(group);
      result.errors.push(decision.error);
    } else {
      result.duplicates += group.occurrences.length;
      if (decision.kind === 'staged-elsewhere')
        toComplete.push({ group, stagingKey: decision.stagingKey });
    }
  });

  const fail = (failedGroups: readonly VersionGroup[], error?: unknown): GroupCommitResult => {
    for (const group of failedGroups) result.failed.push(...group.occurrences);
    if (error !== undefined) result.errors.push(error);
    return result;
  };
  if (undecided.length > 0) return fail([...toStage, ...undecided]);

  if (toStage.length > 0) {
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
        covered = new Set(batch.recordVersions);
      } else {
        result.object = 'existing';
        // Not from the cache (it may predate the 412); flush may move it out of staging/ meanwhile.
        const existing = await locateStagedBatch(deps.staging, key);
        if (existing === undefined) throw new Error(`${key} answered 412 but cannot be found`);
        covered = existing.versions;
      }
    } catch (error) {
      return fail(toStage, error);
    }
    const notCovered = toStage.filter((group) => !covered.has(group.versionKey));
    if (notCovered.length > 0) {
      // Unreachable while the invariant above holds; their claims name an object that does not
      // hold them, so a retry with other boundaries takes them over.
      fail(notCovered, new Error(`${key} exists without ${notCovered.length} claimed versions`));
    }
    toComplete.push(
      ...toStage
        .filter((group) => covered.has(group.versionKey))
        .map((group) => ({ group, stagingKey: key })),
    );
  }

  await Promise.all(
    toComplete.map(({ group, stagingKey }) =>
      limit(async () => {
        try {
          await deps.claims.complete(group.versionKey, stagingKey);
        } catch (error) {
          // Staged already, so nothing is lost; re-delivery completes the claim from its object.
          fail([group], error);
        }
      }),
    ),
  );
  return result;
}
