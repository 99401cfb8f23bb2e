import pLimit from 'p-limit';
import type { OffsetRange } from '../shared/staging-format';
import { batchIdFromOffsets, stagingKey as stagingKeyFor } from '../shared/staging-format';
import { pipeline } from '../shared/pipeline';
import type { ClaimOutcome, ClaimStore, Completion } from './claim-store';
import type { VersionGroup } from './merge';
import { buildStagedBatch, collapseVersions } from './merge';
import type { ValidRecord } from './msk-event';
import type { LocatedBatch } from './staged-batch-locations';
import { locateStagedBatch } from './staged-batch-locations';
import type { StagingStore } from './staging-store';

export interface GroupCommitDeps {
  claims: ClaimStore;
  staging: StagingStore;
  /** Concurrent idempotency requests (and staged-object reads). */
  concurrency: number;
  /**
   * Record versions per claimAll/completeAll request (1 = one request per version); default
   * `pipeline.mergeConsumer.claimsPerRequest`.
   */
  claimsPerRequest?: number;
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

  // Conflicts are rare (a crashed attempt, a resync): decided one by one, bounded separately so a
  // chunk holding a request slot never waits for a slot it itself blocks.
  const resolveLimit = pLimit(deps.concurrency);
  const decide = async (group: VersionGroup, outcome: ClaimOutcome): Promise<Decision> => {
    try {
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
  const perRequest = deps.claimsPerRequest ?? pipeline.mergeConsumer.claimsPerRequest;
  const decisions = (
    await Promise.all(
      chunk(groups, perRequest).map((part) =>
        limit(async (): Promise<Decision[]> => {
          let outcomes: ClaimOutcome[];
          try {
            outcomes = await deps.claims.claimAll(
              part.map((group) => group.versionKey),
              key,
            );
          } catch (error) {
            return part.map(() => ({ kind: 'undecided', error }));
          }
          return Promise.all(
            part.map((group, index) =>
              outcomes[index]!.kind === 'claimed'
                ? { kind: 'stage' as const }
                : resolveLimit(() => decide(group, outcomes[index]!)),
            ),
          );
        }),
      ),
    )
  ).flat();

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
    chunk(toComplete, perRequest).map((part) =>
      limit(async () => {
        const completions: Completion[] = part.map(({ group, stagingKey }) => ({
          versionKey: group.versionKey,
          stagingKey,
        }));
        let errors: unknown[];
        try {
          errors = await deps.claims.completeAll(completions);
        } catch (error) {
          errors = part.map(() => error);
        }
        // Staged already, so nothing is lost; re-delivery completes the claim from its object.
        part.forEach(({ group }, index) => {
          if (errors[index] !== undefined) fail([group], errors[index]);
        });
      }),
    ),
  );
  return result;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    chunks.push(items.slice(start, start + size));
  return chunks;
}
