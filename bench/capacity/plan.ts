import { functionNames, pipeline, topics } from '../../lambdas/shared/pipeline';
import type { BenchResult } from '../report/bench-result';
import { awsPrices, s3RequestTiers } from '../report/cost';

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
const q = (value: number, source: string) => ({ value, source });
const docs = 'https://docs.aws.amazon.com';
const dynamodbMax = `${docs}/amazondynamodb/latest/developerguide/on-demand-capacity-mode-max-throughput.html`;
const s3Performance = `${docs}/AmazonS3/latest/userguide/optimizing-performance.html`;
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

interface Need {
  item: string;
  unit: string;
  quota?: { value: number; source: string };
  knob: string;
  /** What the deployment needs at `r` records/s: non-decreasing in r. */
  at: (r: number) => number;
}

/** A need proportional to the rate: `perRecordCost` per record. */
const perRecord = (
  item: string,
  unit: string,
  quota: { value: number; source: string },
  knob: string,
  perRecordCost: number,
): Need => ({ item, unit, quota, knob, at: (r) => r * perRecordCost });

/** The deployment's needs as functions of the rate, from the per-record costs. */
function needs(costs: PerRecordCosts): Need[] {
  const fn = (name: string) => costs.lambda[name] ?? { invocations: 0, meanMs: 0 };
  /** Little's law: invocations per second × mean duration. */
  const concurrency = (name: string) => (r: number) =>
    r * fn(name).invocations * (fn(name).meanMs / 1000);
  const bytes = (r: number) => r * costs.kafkaBytes;
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
  const mib = (quota: { value: number; source: string }) => ({
    ...quota,
    value: quota.value / MiB,
  });
  return [
    {
      item: 'Kafka partitions per source topic',
      unit: 'partitions',
      knob: 'topic partitions in lambdas/shared/pipeline.ts (one merge-consumer batch in flight per partition)',
      at: partitionsPerTopic,
    },
    {
      item: 'MSK Serverless partitions per cluster',
      unit: 'partitions',
      quota: quotas.mskPartitionsPerCluster,
      knob: 'split the topics over more clusters, or MSK provisioned',
      at: (r) => partitionsPerTopic(r) * sourceTopics + pipeline.topics[topics.dlq].partitions,
    },
    {
      item: 'ESM provisioned pollers (per mapping)',
      unit: 'pollers',
      quota: quotas.maximumPollersPerMapping,
      knob: 'ProvisionedPollerConfig.MaximumPollers (up to 2,000)',
      at: (r) =>
        Math.max(
          1,
          Math.ceil(bytes(r) / quotas.pollerBytesPerSecond.value),
          Math.ceil(merge(r) / quotas.pollerConcurrentInvocations.value),
        ),
    },
    {
      item: 'Lambda concurrency, all functions',
      unit: 'concurrent executions',
      quota: quotas.lambdaConcurrentExecutions,
      knob: 'Service Quotas: Lambda concurrent executions (raisable to tens of thousands)',
      at: (r) => Object.keys(costs.lambda).reduce((sum, name) => sum + concurrency(name)(r), 0),
    },
    ...Object.keys(costs.lambda).map((name) => ({
      item: `Lambda concurrency, ${name}`,
      unit: 'concurrent executions',
      knob: '',
      at: concurrency(name),
    })),
    {
      item: 'flush: one run at a time (busy share of wall time)',
      unit: 'runs in flight',
      quota: { value: 1, source: 'lambdas/flush/README.md (one run at a time)' },
      knob: 'flush.reservedConcurrency is 1 by design (one run at a time): shard flush (one run per topic or key range, each with its own lease), or cut its time per record (memoryMb for more vCPU, larger POSTs: flush.maxRecordsPerPost)',
      at: concurrency(functionNames.flush),
    },
    perRecord(
      'DynamoDB write request units (idempotency table)',
      'WRU/s',
      quotas.dynamodbTableWruPerSecond,
      'Service Quotas: DynamoDB table-level write throughput (on-demand), or fewer WRU per record',
      costs.wru,
    ),
    perRecord(
      'DynamoDB read request units (idempotency table)',
      'RRU/s',
      quotas.dynamodbTableRruPerSecond,
      'Service Quotas: DynamoDB table-level read throughput (on-demand)',
      costs.rru,
    ),
    perRecord(
      'S3 PUT/COPY/POST/LIST per prefix (staging/<date>/)',
      'requests/s',
      quotas.s3PutsPerPrefixPerSecond,
      'spread staging keys over more prefixes, or larger merge-consumer batches (mergeConsumer.batchSize)',
      costs.s3PutTier,
    ),
    perRecord(
      'S3 GET/HEAD per prefix',
      'requests/s',
      quotas.s3GetsPerPrefixPerSecond,
      'spread staging keys over more prefixes',
      costs.s3GetTier,
    ),
    {
      item: 'MSK Serverless ingress',
      unit: 'MiB/s',
      quota: mib(quotas.mskIngressBytesPerSecond),
      knob: 'more clusters (topics split), or MSK provisioned brokers',
      at: (r) => bytes(r) / MiB,
    },
    {
      item: 'MSK Serverless egress (each message read once)',
      unit: 'MiB/s',
      quota: mib(quotas.mskEgressBytesPerSecond),
      knob: 'more clusters (topics split), or MSK provisioned brokers',
      at: (r) => bytes(r) / MiB,
    },
    {
      item: 'Analytics POSTs',
      unit: 'POSTs/s',
      knob: 'no AWS quota: the Analytics API owner’s limit; flush.maxRecordsPerPost sets records per POST',
      at: (r) => r * costs.analyticsPosts,
    },
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

/** Pure arithmetic from the per-record costs and the quotas; unit-tested against a worked example. */
export function capacityPlan(recordsPerSecond: number, costs: PerRecordCosts): CapacityPlan {
  const r = recordsPerSecond;
  const lines: PlanLine[] = needs(costs).map(({ item, unit, quota, knob, at }) => {
    const need = at(r);
    if (!quota) return { item, need, unit, knob };
    return {
      item,
      need,
      unit,
      quota: quota.value,
      source: quota.source,
      utilization: need / quota.value,
      limitRecordsPerSecond: rateAtQuota(at, quota.value),
      knob,
    };
  });
  const partitions = lines.find((l) => l.item.startsWith('MSK Serverless partitions'))?.need ?? 0;
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
