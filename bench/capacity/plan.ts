import { z } from 'zod';
import { functionNames, pipeline, topics } from '../../lambdas/shared/pipeline';
import { hoursPerMonth, mskServerlessMonthlyUsd } from '../report/cost';

/** What one record costs the AWS deployment, as a bench run measured it (docs/benchmarks.md#capacity-plan). */
export const PerRecordCostsSchema = z.object({
  source: z.string(),
  wru: z.number(),
  rru: z.number(),
  s3PutTier: z.number(),
  s3GetTier: z.number(),
  kafkaBytes: z.number(),
  analyticsPosts: z.number(),
  /** Per function: invocations per record and their mean in-handler duration. */
  lambda: z.record(z.string(), z.object({ invocations: z.number(), meanMs: z.number() })),
  usdPerMillionRecords: z.number(),
});
export type PerRecordCosts = z.output<typeof PerRecordCostsSchema>;

const MiB = 1024 * 1024;
const docs = 'https://docs.aws.amazon.com';
const mskQuotas = `${docs}/msk/latest/developerguide/limits.html#serverless-quota`;
const kafkaPollers = `${docs}/lambda/latest/dg/with-kafka-low-latency.html`;
const dynamodbMax = `${docs}/amazondynamodb/latest/developerguide/on-demand-capacity-mode-max-throughput.html`;
const s3Performance = `${docs}/AmazonS3/latest/userguide/optimizing-performance.html`;

/** AWS's documented default quotas, each with its source, read 2026-12-01: update figure and date together. */
const q = (value: number, source: string) => ({ value, source });
type Quota = ReturnType<typeof q>;
export const quotas = {
  mskIngressBytesPerSecond: q(200 * MiB, mskQuotas),
  mskEgressBytesPerSecond: q(400 * MiB, mskQuotas),
  mskPartitionsPerCluster: q(120, mskQuotas),
  mskPartitionIngressBytesPerSecond: q(5 * MiB, mskQuotas),
  mskPartitionEgressBytesPerSecond: q(10 * MiB, mskQuotas),
  /** "An event poller ... allocates up to 5 MB/s throughput. Each event poller supports up to 5 concurrent Lambda invocations." */
  pollerBytesPerSecond: q(5 * MiB, kafkaPollers),
  pollerConcurrentInvocations: q(5, kafkaPollers),
  maximumPollersPerMapping: q(2_000, `${docs}/lambda/latest/api/API_ProvisionedPollerConfig.html`),
  lambdaConcurrentExecutions: q(1_000, `${docs}/lambda/latest/dg/gettingstarted-limits.html`),
  dynamodbTableWruPerSecond: q(40_000, dynamodbMax),
  dynamodbTableRruPerSecond: q(40_000, dynamodbMax),
  s3PutsPerPrefixPerSecond: q(3_500, s3Performance),
  s3GetsPerPrefixPerSecond: q(5_500, s3Performance),
};

/**
 * What the deployment takes at `r` records/s (non-decreasing in r), its quota (undefined where AWS
 * sets none: shown, not checked) and the knob that lifts it.
 */
function need(item: string, unit: string, at: (r: number) => number, quota?: Quota, knob = '') {
  return { item, unit, at, quota, knob };
}

function needs(costs: PerRecordCosts) {
  const fn = (name: string) => costs.lambda[name] ?? { invocations: 0, meanMs: 0 };
  /** Little's law: invocations per second × mean duration. */
  const concurrency = (name: string) => (r: number) =>
    r * fn(name).invocations * (fn(name).meanMs / 1000);
  const bytes = (r: number) => r * costs.kafkaBytes;
  const mib = (r: number) => bytes(r) / MiB;
  const perRecord = (cost: number) => (r: number) => r * cost;
  const merge = concurrency(functionNames.mergeConsumer);
  const sourceTopics = [topics.customers, topics.products].length;
  // One concurrent merge-consumer batch per partition, and each partition's byte quotas.
  const partitionsPerTopic = (r: number) =>
    Math.ceil(
      Math.max(
        // Never fewer than infra deploys.
        pipeline.topics[topics.customers].partitions + pipeline.topics[topics.products].partitions,
        Math.ceil(merge(r)),
        Math.ceil(bytes(r) / quotas.mskPartitionIngressBytesPerSecond.value),
        Math.ceil(bytes(r) / quotas.mskPartitionEgressBytesPerSecond.value),
      ) / sourceTopics,
    );
  const inMiB = ({ value, source }: Quota) => ({ value: value / MiB, source });
  const mskClusters = 'more clusters (topics split), or MSK provisioned brokers';
  return [
    need(
      'Kafka partitions per source topic',
      'partitions',
      partitionsPerTopic,
      undefined,
      'topic partitions in lambdas/shared/pipeline.ts (one merge-consumer batch in flight per partition)',
    ),
    need(
      'MSK Serverless partitions per cluster',
      'partitions',
      (r) => partitionsPerTopic(r) * sourceTopics + pipeline.topics[topics.dlq].partitions,
      quotas.mskPartitionsPerCluster,
      'split the topics over more clusters, or MSK provisioned',
    ),
    need(
      'ESM provisioned pollers (per mapping)',
      'pollers',
      (r) =>
        Math.max(
          1,
          Math.ceil(bytes(r) / quotas.pollerBytesPerSecond.value),
          Math.ceil(merge(r) / quotas.pollerConcurrentInvocations.value),
        ),
      quotas.maximumPollersPerMapping,
      'ProvisionedPollerConfig.MaximumPollers (up to 2,000)',
    ),
    need(
      'Lambda concurrency, all functions',
      'concurrent executions',
      (r) => Object.keys(costs.lambda).reduce((sum, name) => sum + concurrency(name)(r), 0),
      quotas.lambdaConcurrentExecutions,
      'Service Quotas: Lambda concurrent executions (raisable to tens of thousands)',
    ),
    ...Object.keys(costs.lambda).map((name) =>
      need(`Lambda concurrency, ${name}`, 'concurrent executions', concurrency(name)),
    ),
    need(
      'flush: one run at a time (busy share of wall time)',
      'runs in flight',
      concurrency(functionNames.flush),
      { value: 1, source: 'lambdas/flush/README.md (one run at a time)' },
      'flush.reservedConcurrency is 1 by design (one run at a time): shard flush (one run per topic or key range, each with its own lease), or cut its time per record (memoryMb for more vCPU, larger POSTs: flush.maxRecordsPerPost)',
    ),
    need(
      'DynamoDB write request units (idempotency table)',
      'WRU/s',
      perRecord(costs.wru),
      quotas.dynamodbTableWruPerSecond,
      'Service Quotas: DynamoDB table-level write throughput (on-demand), or fewer WRU per record',
    ),
    need(
      'DynamoDB read request units (idempotency table)',
      'RRU/s',
      perRecord(costs.rru),
      quotas.dynamodbTableRruPerSecond,
      'Service Quotas: DynamoDB table-level read throughput (on-demand)',
    ),
    need(
      'S3 PUT/COPY/POST/LIST per prefix (staging/<date>/)',
      'requests/s',
      perRecord(costs.s3PutTier),
      quotas.s3PutsPerPrefixPerSecond,
      'spread staging keys over more prefixes, or larger merge-consumer batches (mergeConsumer.batchSize)',
    ),
    need(
      'S3 GET/HEAD per prefix',
      'requests/s',
      perRecord(costs.s3GetTier),
      quotas.s3GetsPerPrefixPerSecond,
      'spread staging keys over more prefixes',
    ),
    need(
      'MSK Serverless ingress',
      'MiB/s',
      mib,
      inMiB(quotas.mskIngressBytesPerSecond),
      mskClusters,
    ),
    need(
      'MSK Serverless egress (each message read once)',
      'MiB/s',
      mib,
      inMiB(quotas.mskEgressBytesPerSecond),
      mskClusters,
    ),
    need(
      'Analytics POSTs',
      'POSTs/s',
      perRecord(costs.analyticsPosts),
      undefined,
      'no AWS quota: the Analytics API owner’s limit; flush.maxRecordsPerPost sets records per POST',
    ),
  ];
}

/** The highest rate at which `need` stays within `quota` (bisection: needs step with ceilings). */
function rateAtQuota(need: (r: number) => number, quota: number): number {
  if (need(0) > quota) return 0;
  let high = 1;
  while (need(high) <= quota) {
    high *= 2;
    if (high > 1e12) return Infinity;
  }
  let low = high / 2;
  while (high - low > Math.max(1e-6, low * 1e-9)) {
    const middle = (low + high) / 2;
    if (need(middle) <= quota) low = middle;
    else high = middle;
  }
  return low;
}

export type CapacityPlan = ReturnType<typeof capacityPlan>;

export function capacityPlan(recordsPerSecond: number, costs: PerRecordCosts) {
  const r = recordsPerSecond;
  const lines = needs(costs).map(({ item, unit, quota, knob, at }) => ({
    item,
    need: at(r),
    unit,
    knob,
    quota: quota?.value,
    source: quota?.source,
    utilization: quota && at(r) / quota.value,
    limitRecordsPerSecond: quota && rateAtQuota(at, quota.value),
  }));
  const partitions = lines.find((l) => l.item.startsWith('MSK Serverless partitions'))?.need ?? 0;
  // The quota reached at the lowest rate.
  const firstLimit = lines
    .filter((l) => l.quota !== undefined)
    .reduce((first, l) =>
      (l.limitRecordsPerSecond ?? Infinity) < (first.limitRecordsPerSecond ?? Infinity) ? l : first,
    );
  const perRecordUsd = ((r * (hoursPerMonth * 3600)) / 1_000_000) * costs.usdPerMillionRecords;
  const fixedUsd = mskServerlessMonthlyUsd(partitions);
  return {
    recordsPerSecond: r,
    costs,
    lines,
    firstLimit,
    monthly: { perRecordUsd, fixedUsd, totalUsd: perRecordUsd + fixedUsd, partitions },
  };
}
