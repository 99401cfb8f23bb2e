import { functionNames, pipeline, topics } from '../../lambdas/shared/pipeline';
import { awsPrices } from '../report/aws-prices';
import type { BenchResult } from '../report/bench-result';
import { s3RequestTiers } from '../report/cost-model';

/**
 * What one record costs the AWS deployment, as a bench run measured it (fresh load: every record
 * a new version). `npm run capacity` takes these from the newest bench/results/bench-*.json, or
 * from measured-defaults.json (the last committed run's figures) when there is none.
 */
export interface PerRecordCosts {
  source: string;
  wru: number;
  rru: number;
  s3PutTier: number;
  s3GetTier: number;
  kafkaBytes: number;
  analyticsPosts: number;
  /** Per function: invocations per record and their mean in-handler duration. */
  lambda: Record<string, { invocations: number; meanMs: number }>;
  usdPerMillionRecords: number;
}

export function perRecordCosts(result: BenchResult, source: string): PerRecordCosts {
  const fresh = result.scenarios.freshLoad;
  if (!fresh || !result.cost) throw new Error(`${source} has no fresh-load scenario to plan from`);
  const { records } = fresh;
  const tiers = s3RequestTiers(fresh.requests.byOperation);
  return {
    source,
    wru: fresh.dynamodbUnits.wruPerRecord,
    rru: fresh.dynamodbUnits.rruPerRecord,
    s3PutTier: tiers.putTier / records,
    s3GetTier: tiers.getTier / records,
    kafkaBytes: fresh.kafka.bytes / records,
    analyticsPosts: fresh.requests.analyticsPosts / records,
    lambda: Object.fromEntries(
      fresh.lambda.map((usage) => [
        usage.functionName,
        {
          invocations: usage.invocations / records,
          meanMs: usage.invocations > 0 ? usage.billedMs / usage.invocations : 0,
        },
      ]),
    ),
    usdPerMillionRecords: result.cost.usdPerMillionRecords,
  };
}

const MiB = 1024 * 1024;
const secondsPerMonth = 730 * 3600;
const mskQuotas =
  'https://docs.aws.amazon.com/msk/latest/developerguide/limits.html#serverless-quota';
const kafkaPollers = 'https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-low-latency.html';

/**
 * AWS's documented default quotas the plan checks, each with its source. Read 2026-12-01 with the
 * search tool (awsdocs GitHub copies and docs.aws.amazon.com pages); update figure and date together.
 */
export const quotas = {
  mskIngressBytesPerSecond: { value: 200 * MiB, source: mskQuotas },
  mskEgressBytesPerSecond: { value: 400 * MiB, source: mskQuotas },
  mskPartitionsPerCluster: { value: 120, source: mskQuotas },
  mskPartitionIngressBytesPerSecond: { value: 5 * MiB, source: mskQuotas },
  mskPartitionEgressBytesPerSecond: { value: 10 * MiB, source: mskQuotas },
  /** "An event poller ... allocates up to 5 MB/s throughput. Each event poller supports up to 5 concurrent Lambda invocations." */
  pollerBytesPerSecond: { value: 5 * MiB, source: kafkaPollers },
  pollerConcurrentInvocations: { value: 5, source: kafkaPollers },
  maximumPollersPerMapping: {
    value: 2_000,
    source: 'https://docs.aws.amazon.com/lambda/latest/api/API_ProvisionedPollerConfig.html',
  },
  lambdaConcurrentExecutions: {
    value: 1_000,
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
  },
  dynamodbTableWruPerSecond: {
    value: 40_000,
    source:
      'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode-max-throughput.html',
  },
  dynamodbTableRruPerSecond: {
    value: 40_000,
    source:
      'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode-max-throughput.html',
  },
  s3PutsPerPrefixPerSecond: {
    value: 3_500,
    source: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html',
  },
  s3GetsPerPrefixPerSecond: {
    value: 5_500,
    source: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html',
  },
} as const;

export interface PlanLine {
  item: string;
  /** What the deployment needs at the planned rate. */
  need: number;
  unit: string;
  /** The quota it is checked against; undefined where AWS sets none (shown, not checked). */
  quota?: number;
  source?: string;
  /** need ÷ quota. */
  utilization?: number;
  /** The records/s at which this quota is reached. */
  limitRecordsPerSecond?: number;
  /** What lifts the quota. */
  knob: string;
}

export interface CapacityPlan {
  recordsPerSecond: number;
  costs: PerRecordCosts;
  lines: PlanLine[];
  /** The quota reached at the lowest rate, and at which rate. */
  firstLimit: PlanLine;
  monthly: { perRecordUsd: number; fixedUsd: number; totalUsd: number; partitions: number };
}

/** Pure arithmetic from the per-record costs and the quotas; unit-tested against a worked example. */
export function capacityPlan(recordsPerSecond: number, costs: PerRecordCosts): CapacityPlan {
  const r = recordsPerSecond;
  const fn = (name: string) => costs.lambda[name] ?? { invocations: 0, meanMs: 0 };
  /** Little's law: invocations per second × mean duration. */
  const concurrency = (name: string) => r * fn(name).invocations * (fn(name).meanMs / 1000);
  const bytes = r * costs.kafkaBytes;
  const merge = concurrency(functionNames.mergeConsumer);
  const sourceTopics = [topics.customers, topics.products].length;
  // One concurrent merge-consumer batch per partition, and each partition's byte quotas.
  const sourcePartitions = Math.max(
    sourceTopics,
    Math.ceil(merge),
    Math.ceil(bytes / quotas.mskPartitionIngressBytesPerSecond.value),
    Math.ceil(bytes / quotas.mskPartitionEgressBytesPerSecond.value),
  );
  const partitionsPerTopic = Math.ceil(sourcePartitions / sourceTopics);
  const partitions = partitionsPerTopic * sourceTopics + pipeline.topics[topics.dlq].partitions;
  const pollers = Math.max(
    1,
    Math.ceil(bytes / quotas.pollerBytesPerSecond.value),
    Math.ceil(merge / quotas.pollerConcurrentInvocations.value),
  );
  const allConcurrency = Object.keys(costs.lambda).reduce(
    (sum, name) => sum + concurrency(name),
    0,
  );
  const flushBusy = concurrency(functionNames.flush);

  const line = (
    item: string,
    need: number,
    unit: string,
    quota: { value: number; source: string } | undefined,
    knob: string,
  ): PlanLine => {
    if (!quota) return { item, need, unit, knob };
    const utilization = need / quota.value;
    return {
      item,
      need,
      unit,
      quota: quota.value,
      source: quota.source,
      utilization,
      limitRecordsPerSecond: utilization > 0 ? r / utilization : Infinity,
      knob,
    };
  };
  const lines: PlanLine[] = [
    line(
      'Kafka partitions per source topic',
      partitionsPerTopic,
      'partitions',
      undefined,
      'topic partitions in lambdas/shared/pipeline.ts (one merge-consumer batch in flight per partition)',
    ),
    line(
      'MSK Serverless partitions per cluster',
      partitions,
      'partitions',
      quotas.mskPartitionsPerCluster,
      'split the topics over more clusters, or MSK provisioned',
    ),
    line(
      'ESM provisioned pollers (per mapping)',
      pollers,
      'pollers',
      quotas.maximumPollersPerMapping,
      'ProvisionedPollerConfig.MaximumPollers (up to 2,000)',
    ),
    line(
      'Lambda concurrency, all functions',
      allConcurrency,
      'concurrent executions',
      quotas.lambdaConcurrentExecutions,
      'Service Quotas: Lambda concurrent executions (raisable to tens of thousands)',
    ),
    ...Object.keys(costs.lambda).map((name) =>
      line(
        `Lambda concurrency, ${name}`,
        concurrency(name),
        'concurrent executions',
        undefined,
        '',
      ),
    ),
    line(
      'flush: one run at a time (busy share of wall time)',
      flushBusy,
      'runs in flight',
      { value: 1, source: 'lambdas/flush/README.md (one run at a time)' },
      'flush.maxRecordsPerPost / maxBytesPerPost (fewer, larger POSTs per run), or one flush per topic',
    ),
    line(
      'DynamoDB write request units (idempotency table)',
      r * costs.wru,
      'WRU/s',
      quotas.dynamodbTableWruPerSecond,
      'Service Quotas: DynamoDB table-level write throughput (on-demand), or fewer WRU per record',
    ),
    line(
      'DynamoDB read request units (idempotency table)',
      r * costs.rru,
      'RRU/s',
      quotas.dynamodbTableRruPerSecond,
      'Service Quotas: DynamoDB table-level read throughput (on-demand)',
    ),
    line(
      'S3 PUT/COPY/POST/LIST per prefix (staging/<date>/)',
      r * costs.s3PutTier,
      'requests/s',
      quotas.s3PutsPerPrefixPerSecond,
      'spread staging keys over more prefixes, or larger merge-consumer batches (mergeConsumer.batchSize)',
    ),
    line(
      'S3 GET/HEAD per prefix',
      r * costs.s3GetTier,
      'requests/s',
      quotas.s3GetsPerPrefixPerSecond,
      'spread staging keys over more prefixes',
    ),
    line(
      'MSK Serverless ingress',
      bytes / MiB,
      'MiB/s',
      { ...quotas.mskIngressBytesPerSecond, value: quotas.mskIngressBytesPerSecond.value / MiB },
      'more clusters (topics split), or MSK provisioned brokers',
    ),
    line(
      'MSK Serverless egress',
      bytes / MiB,
      'MiB/s',
      { ...quotas.mskEgressBytesPerSecond, value: quotas.mskEgressBytesPerSecond.value / MiB },
      'more clusters (topics split), or MSK provisioned brokers',
    ),
    line(
      'Analytics POSTs',
      r * costs.analyticsPosts,
      'POSTs/s',
      undefined,
      'no AWS quota: the Analytics API owner’s limit; flush.maxRecordsPerPost sets records per POST',
    ),
  ];
  const checked = lines.filter((l) => l.limitRecordsPerSecond !== undefined);
  const firstLimit = checked.reduce((first, l) =>
    (l.limitRecordsPerSecond ?? Infinity) < (first.limitRecordsPerSecond ?? Infinity) ? l : first,
  );
  const perRecordUsd = ((r * secondsPerMonth) / 1_000_000) * costs.usdPerMillionRecords;
  const { clusterHour, partitionHour } = awsPrices.mskServerless;
  const fixedUsd = 730 * (clusterHour.usd + partitions * partitionHour.usd);
  return {
    recordsPerSecond: r,
    costs,
    lines,
    firstLimit,
    monthly: { perRecordUsd, fixedUsd, totalUsd: perRecordUsd + fixedUsd, partitions },
  };
}
