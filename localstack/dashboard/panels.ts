import type { MetricName } from '../../lambdas/shared/pipeline';
import { metricNames } from '../../lambdas/shared/pipeline';

/** One chart on the dashboard: a pipeline stage and the metrics it plots. */
export interface StagePanel {
  title: string;
  metrics: MetricName[];
}

/**
 * The stage widgets of the CloudWatch dashboard (infra/lib/monitoring.ts), in the same order and
 * with the same metrics, so what an operator learns locally reads the same in AWS.
 */
export const stagePanels: StagePanel[] = [
  { title: 'Fetched', metrics: [metricNames.recordsFetched, metricNames.pagesFetched] },
  { title: 'Published', metrics: [metricNames.recordsPublished] },
  { title: 'Invalid', metrics: [metricNames.recordsInvalid] },
  { title: 'Duplicates', metrics: [metricNames.recordsReceived, metricNames.recordsDuplicate] },
  { title: 'Staged', metrics: [metricNames.recordsStaged, metricNames.batchesStaged] },
  {
    title: 'Delivered',
    metrics: [
      metricNames.recordsDelivered,
      metricNames.batchesDelivered,
      metricNames.analyticsPosts,
    ],
  },
  {
    title: 'DLQ',
    metrics: [metricNames.dlqMessages, metricNames.batchesParked, metricNames.batchesRedriven],
  },
  { title: 'Flush latency (ms)', metrics: [metricNames.flushLatencyMs] },
  { title: 'Oldest staged batch age (s)', metrics: [metricNames.oldestStagedBatchAgeSeconds] },
  {
    title: 'Source APIs',
    metrics: [
      metricNames.apiErrors,
      metricNames.apiRetries,
      metricNames.circuitOpened,
      metricNames.cursorReset,
    ],
  },
];

/** The counters the terminal and the page headline: one per stage, in pipeline order. */
export const stageCounters: { label: string; metric: MetricName }[] = [
  { label: 'fetched', metric: metricNames.recordsFetched },
  { label: 'published', metric: metricNames.recordsPublished },
  { label: 'received', metric: metricNames.recordsReceived },
  { label: 'duplicate', metric: metricNames.recordsDuplicate },
  { label: 'staged', metric: metricNames.recordsStaged },
  { label: 'delivered', metric: metricNames.recordsDelivered },
  { label: 'invalid', metric: metricNames.recordsInvalid },
  { label: 'dlq', metric: metricNames.dlqMessages },
];
