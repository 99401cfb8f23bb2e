import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityName } from '../../lambdas/mock-apis/dataset';
import { entityNames } from '../../lambdas/mock-apis/dataset';
import { contentHash } from '../../lambdas/shared/content-hash';
import { functionNames, pipeline as pipelineDefinition } from '../../lambdas/shared/pipeline';
import { checkDelivery, eventTypes, receivedAtMs } from '../harness/delivery-check';
import { distribution } from '../report/percentiles';
import type { BenchPipeline } from './bench-pipeline';

export type TrickleResult = Awaited<ReturnType<typeof runTrickle>>;

/** Scenario 3, the trickle (docs/benchmarks.md). */
export async function runTrickle(options: {
  pipeline: BenchPipeline;
  records: number;
  intervals: number;
  tickMs: number;
  timeoutMs: number;
}) {
  const { run } = options.pipeline;
  const { dataset } = run.mock.state;
  const pollIntervalMs =
    pipelineDefinition.schedules[functionNames.pollCrm].rateMinutes * options.tickMs;
  const changesPerInterval = Math.max(1, Math.round(options.records * 0.01));
  const changes: Array<{ entity: EntityName; id: string; hash: string; changedAtMs: number }> = [];
  for (let interval = 0; interval < options.intervals; interval++) {
    const customers = Math.ceil(changesPerInterval / 2);
    const counts = { customers, products: changesPerInterval - customers };
    for (const entity of entityNames) {
      for (const id of dataset.change(entity, counts[entity], Date.now(), 'mutate')) {
        const record = dataset.get(entity, id);
        if (!record) throw new Error(`trickle: changed ${entity} ${id} is not in the data set`);
        const changedAtMs = Date.parse(String(record.updatedAt));
        changes.push({ entity, id, hash: contentHash(record), changedAtMs });
      }
    }
    await sleep(pollIntervalMs);
  }
  const receiptOf = (change: (typeof changes)[number]): number | undefined =>
    receivedAtMs(run.mock.state, eventTypes[change.entity], change.id, change.hash);
  const isCurrent = (change: (typeof changes)[number]): boolean => {
    const record = dataset.get(change.entity, change.id);
    return record !== undefined && contentHash(record) === change.hash;
  };
  await run.waitUntilDrained({
    accept: () => changes.every((change) => !isCurrent(change) || receiptOf(change) !== undefined),
    timeoutMs: options.timeoutMs,
  });
  const freshness = changes.flatMap((change) => {
    const receivedAtMs = receiptOf(change);
    return receivedAtMs === undefined ? [] : [receivedAtMs - change.changedAtMs];
  });
  return {
    intervals: options.intervals,
    pollIntervalMs,
    changesPerInterval,
    changed: changes.length,
    delivered: freshness.length,
    /** Versions changed again before they were polled: only the newer one must arrive. */
    superseded: changes.length - freshness.length,
    freshnessMs: distribution(freshness),
    delivery: checkDelivery(run.mock.state),
  };
}
