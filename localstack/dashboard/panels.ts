import type { MetricName } from '../../lambdas/shared/pipeline';
import {
  flushMetrics as flush,
  mergeConsumerMetrics as merge,
  pollerMetrics as poller,
} from '../../lambdas/shared/pipeline';

/** One chart: a pipeline stage and the metrics it plots, named by each function's metrics const. */
export interface StagePanel {
  title: string;
  metrics: MetricName[];
  /**
   * Gauges: the CloudWatch statistics plotted per emitting function (the local page plots each
   * period's maximum). Without it the metrics are counts, summed over every function emitting them.
   */
  statistics?: string[];
}

/**
 * The stage charts of both dashboards, CloudWatch's (infra/lib/monitoring.ts) and the local one,
 * so what an operator learns locally reads the same in AWS. Emitters come from the registry.
 */
export const stagePanels: StagePanel[] = [
  { title: 'Fetched', metrics: [poller.recordsFetched, poller.pagesFetched] },
  { title: 'Published', metrics: [poller.recordsPublished] },
  { title: 'Invalid', metrics: [merge.recordsInvalid] },
  { title: 'Duplicates', metrics: [merge.recordsReceived, merge.recordsDuplicate] },
  { title: 'Staged', metrics: [merge.recordsStaged, merge.batchesStaged] },
  {
    title: 'Delivered',
    metrics: [flush.recordsDelivered, flush.batchesDelivered, flush.analyticsPosts],
  },
  { title: 'DLQ', metrics: [flush.dlqMessages, flush.batchesParked, flush.batchesRedriven] },
  {
    title: 'Flush latency (ms)',
    metrics: [flush.flushLatencyMs],
    statistics: ['p50', 'p99', 'Maximum'],
  },
  {
    title: 'Oldest staged batch age (s)',
    metrics: [flush.oldestStagedBatchAgeSeconds],
    statistics: ['Maximum'],
  },
  {
    title: 'Source APIs',
    metrics: [poller.apiErrors, poller.apiRetries, poller.circuitOpened, poller.cursorReset],
  },
];

/** The counters the terminal and the page headline: one per stage, in pipeline order. */
export const stageCounters: { label: string; metric: MetricName }[] = [
  { label: 'fetched', metric: poller.recordsFetched },
  { label: 'published', metric: poller.recordsPublished },
  { label: 'received', metric: merge.recordsReceived },
  { label: 'duplicate', metric: merge.recordsDuplicate },
  { label: 'staged', metric: merge.recordsStaged },
  { label: 'delivered', metric: flush.recordsDelivered },
  { label: 'invalid', metric: merge.recordsInvalid },
  { label: 'dlq', metric: merge.dlqMessages },
];
