import type { EntityName } from '../../lambdas/mock-apis/dataset';
import { contentHash } from '../../lambdas/shared/content-hash';
import { functionNames, pipeline as pipelineDefinition } from '../../lambdas/shared/pipeline';
import { checkDelivery } from '../harness/delivery-check';
import { distribution } from '../report/percentiles';
import type { BenchPipeline } from './bench-pipeline';

export type TrickleResult = Awaited<ReturnType<typeof runTrickle>>;

const eventTypes = { customers: 'CUSTOMER', products: 'PRODUCT' } as const;

/**
 * Scenario 3: 1 % of the records change at the source once per poll interval (the mock's own
 * change, as POST /admin/mutate does), for `intervals` intervals, while the schedules run; then
 * waits until every changed version reached Analytics and measures each one's freshness.
 */
export async function runTrickle(options: {
  pipeline: BenchPipeline;
  records: number;
  intervals: number;
  tickMs: number;
  timeoutMs: number;
}) {
  const { run } = options.pipeline;
  const { dataset, analytics } = run.mock.state;
  const pollIntervalMs =
    pipelineDefinition.schedules[functionNames.pollCrm].rateMinutes * options.tickMs;
  const changesPerInterval = Math.max(1, Math.round(options.records * 0.01));
  const changes: Array<{ entity: EntityName; id: string; hash: string; changedAtMs: number }> = [];
  for (let interval = 0; interval < options.intervals; interval++) {
    const customers = Math.ceil(changesPerInterval / 2);
    for (const [entity, count] of [
      ['customers', customers],
      ['products', changesPerInterval - customers],
    ] as const) {
      for (const id of dataset.change(entity, count, Date.now(), 'mutate')) {
        const record = dataset.get(entity, id);
        if (!record) throw new Error(`trickle: changed ${entity} ${id} is not in the data set`);
        const changedAtMs = Date.parse(String(record.updatedAt));
        changes.push({ entity, id, hash: contentHash(record), changedAtMs });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
  const receiptOf = (change: (typeof changes)[number]): number | undefined => {
    const version = analytics
      .getRecord(eventTypes[change.entity], change.id)
      ?.versions.find((v) => v.contentHash === change.hash);
    return version ? Date.parse(version.receivedAt) : undefined;
  };
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
    /** Changed versions Analytics received. */
    delivered: freshness.length,
    /** Versions changed again before they were polled: only the newer one must arrive. */
    superseded: changes.length - freshness.length,
    /** Change time (the record's new updatedAt) → Analytics receipt of that version. */
    freshnessMs: distribution(freshness),
    delivery: checkDelivery(run.mock.state),
  };
}
