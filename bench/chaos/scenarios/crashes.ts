import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MAX_BATCH_GET_ITEMS } from '../../../lambdas/merge-consumer/claim-store';
import { pipeline } from '../../../lambdas/shared/pipeline';
import { localCredentials } from '../../../localstack/stack/endpoints';
import { driveChaosPipeline } from '../drive';
import { ANALYTICS_POST_OPERATION } from '../faults/analytics-post-crash-hook';
import type { CrashPlan } from '../faults/crash-plan';
import { crashPlanEnv } from '../faults/crash-plan';
import { describeCrashes } from '../faults/crash-report';
import { readCrashes } from '../faults/crash-slots';
import { watchCrashes } from '../faults/crash-watch';
import { expireCrashedFlushLease } from '../faults/flush-lease';
import { paceSources } from '../faults/source-pacing';
import type { ChaosContext, ChaosScenario, ScenarioOutcome } from '../scenario';

const preload = (name: string): string =>
  fileURLToPath(new URL(`../faults/${name}`, import.meta.url));

/** What each crashed-after operation is in merge-consumer's group commit (lambdas/merge-consumer/README.md). */
const mergeConsumerOperations: Record<string, string> = {
  'DynamoDB.BatchGetItem': 'claims read BatchGetItem (up to 100)',
  'DynamoDB.BatchWriteItem': 'claims BatchWriteItem (up to 25)',
  'S3.PutObject': 'staging PutObject',
};

/** A fresh crash budget directory for one scenario run; removed by the returned function. */
function crashSlotDir(label: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `ecom-sync-chaos-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * merge-consumer's execution environment dies right after one of the group commit's calls
 * succeeded (docs/DESIGN.md, crash analysis): the BatchGetItem that reads the claims, a
 * BatchWriteItem of claims (the first, some or all of an invocation's), or the S3 PutObject of
 * the staged batch. The side effect landed, the invocation never learnt it. The mapping sees
 * Runtime.ExitError and bisects the batch (new batch boundaries, so new batch ids and staging
 * keys: the take-over path); a fresh environment serves the retry.
 *
 * Sizing: at most max(6, N/1000) crashes, a third of them after each kind of call, with per-call
 * probabilities that would spend about 0.6× the budget per kind of call over one pass, so crashes
 * land throughout the first half of the run and then stop. A record reaches the DLQ only if the batch
 * holding it alone (bisected down to one record) fails 1 + maximumRetryAttempts (4) times in a
 * row: with per-call probabilities around 10⁻³ that is ~10⁻¹² per record, so DLQ == 0 is the
 * expected outcome, and a DLQ message would mean the crash recovery itself failed repeatedly.
 */
const mergeConsumerCrash: ChaosScenario = {
  name: 'merge-consumer-crash',
  fault:
    'merge-consumer environment exits right after a successful claims BatchGetItem, claims BatchWriteItem or staging PutObject',
  async run(context: ChaosContext): Promise<ScenarioOutcome> {
    const slots = crashSlotDir('merge-crash');
    const budget = Math.max(6, Math.ceil(context.records / 1000));
    /** The probability that spends 0.6× the budget over `calls` calls of one kind. */
    const perCall = (calls: number): number => Math.min(0.5, (budget * 0.6) / Math.max(1, calls));
    const plan: CrashPlan = {
      seed: context.seed,
      maxCrashes: budget,
      // The read comes first in every invocation: without a cap it would spend the whole budget.
      maxCrashesPerOperation: Math.ceil(budget / 3),
      probabilities: {
        'DynamoDB.BatchGetItem': perCall(context.records / MAX_BATCH_GET_ITEMS),
        'DynamoDB.BatchWriteItem': perCall(
          context.records / pipeline.mergeConsumer.claimsPerRequest,
        ),
        'S3.PutObject': perCall(context.records / pipeline.mergeConsumer.batchSize),
      },
      slotDir: slots.dir,
    };
    try {
      const outcome = await driveChaosPipeline(context, {
        label: 'merge-crash',
        pipeline: {
          preloadModules: { mergeConsumer: [preload('preload-merge-consumer-crash.ts')] },
          extraEnv: { mergeConsumer: crashPlanEnv(plan) },
        },
        recover: async () =>
          describeCrashes(readCrashes(slots.dir), budget, mergeConsumerOperations),
      });
      return {
        ...outcome,
        notes: [
          ...(outcome.notes ?? []),
          `crash probabilities per successful call: ${JSON.stringify(plan.probabilities)}`,
        ],
      };
    } finally {
      slots.remove();
    }
  },
};

/**
 * flush's execution environment dies right after Analytics answered 2xx to a payload POST, before
 * the batches move to delivered/. The next run finds the outbox manifest, re-posts the same
 * grouping under the same Idempotency-Key (Analytics counts a duplicate payload and ignores it),
 * then moves the batches: 0 duplicated records.
 *
 * The dead run's lease would block flush for its full duration (the invocation's remaining time
 * + 5 s, about 5 minutes) as it would in AWS; the scenario compresses that wait by moving the
 * lease's expiry into the past once the crash is seen (faults/flush-lease.ts). The sources are
 * paced so that flush posts many times during the run and crashes land mid-run.
 */
const flushCrashAfterPost: ChaosScenario = {
  name: 'flush-crash-after-post',
  fault: 'flush environment exits right after Analytics answered 2xx, before the batches move',
  async run(context: ChaosContext): Promise<ScenarioOutcome> {
    const slots = crashSlotDir('flush-crash');
    const budget = context.quick ? 3 : 5;
    const plan: CrashPlan = {
      seed: context.seed,
      maxCrashes: budget,
      probabilities: { [ANALYTICS_POST_OPERATION]: 0.5 },
      slotDir: slots.dir,
    };
    const pacing = paceSources(context.records, { minSyncSeconds: 20 });
    const dynamodb = new DynamoDBClient({
      endpoint: context.stack.endpoints.dynamodbEndpoint,
      region: context.stack.endpoints.region,
      credentials: localCredentials,
    });
    const leasesExpired: string[] = [];
    let rePosts = 0;
    let stopWatching: (() => Promise<void>) | undefined;
    try {
      const outcome = await driveChaosPipeline(context, {
        label: 'flush-crash',
        pipeline: {
          preloadModules: { flush: [preload('preload-flush-crash.ts')] },
          extraEnv: { ...pacing.pollerEnv, flush: crashPlanEnv(plan) },
        },
        beforeStart: (run) => {
          run.mock.state.setFaults(pacing.faults);
          stopWatching = watchCrashes(slots.dir, async (_operation, count) => {
            const owner = await expireCrashedFlushLease(dynamodb, run.names.syncStateTable);
            if (owner !== undefined) leasesExpired.push(owner);
            context.log(`  flush crash ${count}: lease of ${owner ?? '(none held)'} expired`);
          });
        },
        // The watcher keeps running through the second drain (stopped in `finally`).
        recover: async (run) => {
          const { stats } = await run.progress();
          rePosts = stats.duplicatePayloads;
          return describeCrashes(readCrashes(slots.dir), budget, {
            [ANALYTICS_POST_OPERATION]: 'a 2xx to POST /analytics/data',
          });
        },
      });
      return {
        ...outcome,
        notes: [
          ...(outcome.notes ?? []),
          pacing.description,
          `${leasesExpired.length} dead flush leases expired early (each would have blocked flush ~5 min)`,
          `Analytics ignored ${rePosts} re-posted payloads by their Idempotency-Key`,
        ],
      };
    } finally {
      await stopWatching?.();
      dynamodb.destroy();
      slots.remove();
    }
  },
};

export const crashScenarios: ChaosScenario[] = [mergeConsumerCrash, flushCrashAfterPost];
