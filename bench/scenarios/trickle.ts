import type { EntityName } from '../../lambdas/mock-apis/dataset';
import { contentHash } from '../../lambdas/shared/content-hash';
import { functionNames, pipeline as pipelineDefinition } from '../../lambdas/shared/pipeline';
import type { DeliveryCheck } from '../harness/delivery-check';
import { checkDelivery } from '../harness/delivery-check';
import type { Distribution } from '../report/percentiles';
import { distribution } from '../report/percentiles';
import type { BenchPipeline } from './bench-pipeline';

export interface TrickleOptions {
  pipeline: BenchPipeline;
  records: number;
  intervals: number;
  tickMs: number;
  /** Share of the records changed per poll interval (default 1 %). */
  changeShare?: number;
  timeoutMs: number;
}

export interface TrickleResult {
  intervals: number;
  pollIntervalMs: number;
  changesPerInterval: number;
  changed: number;
  /** Changed versions Analytics received. */
  delivered: number;
  /** Versions changed again before they were polled: only the newer one must arrive. */
  superseded: number;
  /** Change time (the record's new updatedAt) → Analytics receipt of that version. */
  freshnessMs: Distribution | undefined;
  delivery: DeliveryCheck;
}

interface Change {
  eventType: 'CUSTOMER' | 'PRODUCT';
  entity: EntityName;
  id: string;
  hash: string;
  changedAtMs: number;
}

const eventTypes = { customers: 'CUSTOMER', products: 'PRODUCT' } as const;

/**
 * Scenario 3: 1 % of the records change at the source once per poll interval (the mock's own
 * change, as POST /admin/mutate does), for `intervals` intervals, while the schedules run; then
 * waits until every changed version reached Analytics and measures each one's freshness.
 */
export async function runTrickle(options: TrickleOptions): Promise<TrickleResult> {
  const { pipeline, records, intervals } = options;
  const { run } = pipeline;
  const pollIntervalMs =
    pipelineDefinition.schedules[functionNames.pollCrm].rateMinutes * options.tickMs;
  const changesPerInterval = Math.max(1, Math.round(records * (options.changeShare ?? 0.01)));
  const dataset = run.mock.state.dataset;
  const changes: Change[] = [];

  for (let interval = 0; interval < intervals; interval++) {
    const customers = Math.ceil(changesPerInterval / 2);
    const perEntity: Array<[EntityName, number]> = [
      ['customers', customers],
      ['products', changesPerInterval - customers],
    ];
    for (const [entity, count] of perEntity) {
      for (const id of dataset.change(entity, count, Date.now(), 'mutate')) {
        const record = dataset.get(entity, id);
        if (!record) throw new Error(`trickle: changed ${entity} ${id} is not in the data set`);
        changes.push({
          eventType: eventTypes[entity],
          entity,
          id,
          hash: contentHash(record),
          changedAtMs: Date.parse(String(record.updatedAt)),
        });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }

  const analytics = run.mock.state.analytics;
  const receiptOf = (change: Change): number | undefined => {
    const version = analytics
      .getRecord(change.eventType, change.id)
      ?.versions.find((v) => v.contentHash === change.hash);
    return version ? Date.parse(version.receivedAt) : undefined;
  };
  const isCurrent = (change: Change): boolean => {
    const record = dataset.get(change.entity, change.id);
    return record !== undefined && contentHash(record) === change.hash;
  };
  await run.waitUntilDrained({
    accept: () => changes.every((change) => !isCurrent(change) || receiptOf(change) !== undefined),
    timeoutMs: options.timeoutMs,
  });

  const freshness: number[] = [];
  let superseded = 0;
  for (const change of changes) {
    const receivedAtMs = receiptOf(change);
    if (receivedAtMs !== undefined) freshness.push(receivedAtMs - change.changedAtMs);
    else superseded++;
  }
  return {
    intervals,
    pollIntervalMs,
    changesPerInterval,
    changed: changes.length,
    delivered: freshness.length,
    superseded,
    freshnessMs: distribution(freshness),
    delivery: checkDelivery(run.mock.state),
  };
}
