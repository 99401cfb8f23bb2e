import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_BATCH_GET_ITEMS } from '../../../lambdas/merge-consumer/claim-store';
import { pipeline } from '../../../lambdas/shared/pipeline';
import type { ServerName } from '../../../localstack/stack/artifacts';
import { checkDelivery } from '../../harness/delivery-check';
import { localDynamodb } from '../../limits/raw-dynamodb';
import type { CrashPlan } from '../crash';
import {
  ANALYTICS_POST_OPERATION,
  crashPlanEnv,
  describeCrashes,
  expireCrashedFlushLease,
  readCrashes,
  watchCrashes,
} from '../crash';
import type { ChaosContext, ChaosDriveOptions, ChaosScenario, ScenarioOutcome } from '../drive';
import { driveChaosPipeline } from '../drive';

const crashPreload = fileURLToPath(new URL('../crash-preload.ts', import.meta.url));

/** A pipeline whose `fn` environments crash by `plan` (in a fresh budget directory), reported by `meaning`. */
async function withCrashes(
  context: ChaosContext,
  fn: 'mergeConsumer' | 'flush',
  plan: Omit<CrashPlan, 'slotDir' | 'seed'>,
  meaning: Record<string, string>,
  drive: (slotDir: string) => ChaosDriveOptions,
): Promise<ScenarioOutcome> {
  const slotDir = mkdtempSync(join(tmpdir(), `ecom-sync-chaos-${fn}-`));
  try {
    const options = drive(slotDir);
    return await driveChaosPipeline(context, {
      ...options,
      pipeline: {
        preloadModules: { [fn]: [crashPreload] },
        extraEnv: { [fn]: crashPlanEnv({ ...plan, seed: context.seed, slotDir }) },
      },
      recover: async (run) => {
        await options.recover?.(run);
        return describeCrashes(readCrashes(slotDir), plan.maxCrashes, meaning);
      },
      notes: [
        ...(options.notes ?? []),
        `crash probabilities per successful call: ${JSON.stringify(plan.probabilities)}`,
      ],
    });
  } finally {
    rmSync(slotDir, { recursive: true, force: true });
  }
}

/**
 * merge-consumer dies right after a group-commit call succeeded (docs/DESIGN.md, crash analysis);
 * the mapping bisects (new batch ids: the take-over path). At most max(6, N/1000) crashes, a third
 * per kind of call; DLQ == 0 is expected (a record's batch would have to fail, bisected to one
 * record, 1 + maximumRetryAttempts times in a row: ~10⁻¹²).
 */
const mergeConsumerCrash: ChaosScenario = {
  name: 'merge-consumer-crash',
  fault:
    'merge-consumer environment exits right after a successful claims BatchGetItem, claims BatchWriteItem or staging PutObject',
  run(context) {
    const budget = Math.max(6, Math.ceil(context.records / 1000));
    const { claimsPerRequest, batchSize } = pipeline.mergeConsumer;
    const calls: Record<string, [perRequest: number, meaning: string]> = {
      'DynamoDB.BatchGetItem': [MAX_BATCH_GET_ITEMS, 'claims read BatchGetItem (up to 100)'],
      'DynamoDB.BatchWriteItem': [claimsPerRequest, 'claims BatchWriteItem (up to 25)'],
      'S3.PutObject': [batchSize, 'staging PutObject'],
    };
    const byCall = <T>(f: (entry: [number, string]) => T) =>
      Object.fromEntries(Object.entries(calls).map(([operation, entry]) => [operation, f(entry)]));
    const plan = {
      maxCrashes: budget,
      // The read comes first in every invocation: without a cap it would spend the whole budget.
      maxCrashesPerOperation: Math.ceil(budget / 3),
      probabilities: byCall(([perRequest]) =>
        Math.min(0.5, (budget * 0.6) / Math.max(1, context.records / perRequest)),
      ),
    };
    const meaning = byCall(([, what]) => what);
    return withCrashes(context, 'mergeConsumer', plan, meaning, () => ({ label: 'merge-crash' }));
  },
};

/**
 * flush dies right after Analytics answered 2xx; the next run re-posts the same grouping under the
 * same Idempotency-Key. The dead run's lease would block flush ~5 min, as in AWS: the scenario
 * expires it once the crash is seen. Paced sources, so flush posts many times.
 */
const flushCrashAfterPost: ChaosScenario = {
  name: 'flush-crash-after-post',
  fault: 'flush environment exits right after Analytics answered 2xx, before the batches move',
  async run(context) {
    const { dynamodbEndpoint, region } = context.stack.endpoints;
    const dynamodb = localDynamodb(dynamodbEndpoint, region);
    const expired: string[] = [];
    let rePosts = 0;
    let stopWatching: (() => Promise<void>) | undefined;
    const plan = {
      maxCrashes: context.quick ? 3 : 5,
      probabilities: { [ANALYTICS_POST_OPERATION]: 0.5 },
    };
    try {
      const meaning = { [ANALYTICS_POST_OPERATION]: 'a 2xx to POST /analytics/data' };
      const outcome = await withCrashes(context, 'flush', plan, meaning, (slotDir) => ({
        label: 'flush-crash',
        paceSeconds: 20,
        beforeStart: (run) => {
          stopWatching = watchCrashes(slotDir, async (_operation, count) => {
            const owner = await expireCrashedFlushLease(dynamodb, run.names.syncStateTable);
            if (owner !== undefined) expired.push(owner);
            context.log(`  flush crash ${count}: lease of ${owner ?? '(none held)'} expired`);
          });
        },
        // The watcher keeps running through the second drain (stopped in `finally`).
        recover: async (run) => {
          rePosts = (await run.progress()).stats.duplicatePayloads;
        },
      }));
      outcome.notes = [
        ...(outcome.notes ?? []),
        `${expired.length} dead flush leases expired early (each would have blocked flush ~5 min)`,
        `Analytics ignored ${rePosts} re-posted payloads by their Idempotency-Key`,
      ];
      return outcome;
    } finally {
      await stopWatching?.();
      dynamodb.destroy();
    }
  },
};

export const crashScenarios: ChaosScenario[] = [mergeConsumerCrash, flushCrashAfterPost];

/**
 * SIGKILL a server mid-run and restart it on the same ports with its data (a `durable` stack): its
 * clients must recover by themselves. Paced sources, so the kill lands while every stage is busy.
 */
function serverRestart(
  server: ServerName,
  at: number,
  downMs: number,
  what: string,
): ChaosScenario {
  const name = server === 'kafka' ? 'kafka-sigkill' : `${server.replace(/mock$/, '')}-restart`;
  return {
    name,
    fault: `${what} SIGKILLed at ~${at * 100} % delivered, restarted after ${downMs / 1000} s${server === 'kafka' ? '' : ' with its data'}`,
    run: (context) =>
      driveChaosPipeline(context, {
        label: name,
        paceSeconds: 20,
        faults: [
          {
            atDeliveredFraction: at,
            async inject(run) {
              const { received, expected } = checkDelivery(run.mock.state);
              const percent = Math.round((100 * received) / Math.max(1, expected));
              const killedAt = Date.now();
              await context.stack.restartServer(server, { signal: 'SIGKILL', downMs });
              const back = ((Date.now() - killedAt) / 1000).toFixed(1);
              return `${server} SIGKILL at ${percent} % delivered, down ${(downMs / 1000).toFixed(1)} s, answering again ${back} s after the kill`;
            },
          },
        ],
      }),
  };
}

export const restartScenarios: ChaosScenario[] = [
  serverRestart('kafka', 0.3, 3_000, 'Kafka broker'),
  serverRestart('dynamodb', 0.4, 2_000, 'DynamoDB Local'),
  serverRestart('s3mock', 0.4, 2_000, 'S3Mock'),
];
