/**
 * Estimated AWS cost per million records (docs/benchmarks.md), us-east-1 list prices read on
 * `pricesReadOn`. Each says how it was checked: `secondary-source` (a dated third-party page quoting
 * the official one, `confirmedBy`) or `unverified` (check `source`). Update all three together.
 */
import { isMeasure, requestUnits } from './request-summary';

export const pricesReadOn = '2026-11-23';
const price = (usd: number, unit: string, source: string, confirmedBy?: string) => ({
  usd,
  unit,
  source: `https://aws.amazon.com/${source}/`,
  ...(confirmedBy
    ? { confirmedBy, status: 'secondary-source' as const }
    : { status: 'unverified' as const }),
});
type Price = ReturnType<typeof price>;
const airbyte = 'https://airbyte.com/data-engineering-resources/dynamodb-pricing';
const c3x = 'https://c3x.dev/blog/s3-request-fees-explained';
const cloudchipr = 'https://cloudchipr.com/blog/aws-lambda-pricing';
const ddb = 'dynamodb/pricing/on-demand';

export const awsPrices = {
  region: 'us-east-1',
  lambda: {
    requests: price(0.2, 'per 1M requests', 'lambda/pricing'),
    armGbSecond: price(
      0.0000133334,
      'per GB-second (Arm, first 7.5B GB-s/month)',
      'lambda/pricing',
      cloudchipr,
    ),
  },
  dynamodb: {
    writeRequestUnits: price(0.625, 'per 1M WRU (on-demand)', ddb, airbyte),
    readRequestUnits: price(0.125, 'per 1M RRU (on-demand)', ddb, airbyte),
  },
  s3: {
    putCopyPostList: price(0.005, 'per 1,000 PUT, COPY, POST, LIST (Standard)', 's3/pricing', c3x),
    getAndOthers: price(0.0004, 'per 1,000 GET, HEAD and others (Standard)', 's3/pricing', c3x),
  },
  mskServerless: {
    clusterHour: price(0.75, 'per cluster-hour', 'msk/pricing'),
    partitionHour: price(0.0015, 'per partition-hour', 'msk/pricing'),
    dataInGb: price(0.1, 'per GB written', 'msk/pricing'),
    dataOutGb: price(0.05, 'per GB read', 'msk/pricing'),
  },
  /** The provisioned option: broker-hours are a fixed monthly cost, not a per-record one. */
  mskProvisioned: {
    brokerHourM7gLarge: price(0.204, 'per broker-hour, kafka.m7g.large', 'msk/pricing'),
  },
};
export type AwsPrices = typeof awsPrices;

export interface LambdaUsage {
  functionName: string;
  invocations: number;
  /** Each invocation rounded up to 1 ms, as Lambda bills. */
  billedMs: number;
  memoryMb: number;
}

export const hoursPerMonth = 730;
export const mskServerlessMonthlyUsd = (partitions: number): number =>
  hoursPerMonth *
  (awsPrices.mskServerless.clusterHour.usd +
    partitions * awsPrices.mskServerless.partitionHour.usd);

/** S3 operations billed in the PUT/COPY/POST/LIST tier; DELETE is free; the rest is GET tier. */
const s3PutTier =
  /^(PutObject|CopyObject|ListObjects(V2)?|CreateMultipartUpload|UploadPart|CompleteMultipartUpload)$/;
const s3Free = /^DeleteObjects?$/;

export type CostEstimate = ReturnType<typeof estimateCost>;

/** Each Kafka byte is written and read once; costs that do not scale with records are `fixedMonthly`. */
export function estimateCost(inputs: {
  records: number;
  requests: Record<string, number>;
  lambda: LambdaUsage[];
  kafkaBytes: number;
  topicPartitions: number;
}) {
  if (inputs.records <= 0) throw new Error('cost estimate needs a run that carried records');
  const { lambda, dynamodb, s3, mskServerless: msk } = awsPrices;
  const { wru, rru } = requestUnits(inputs.requests);
  const tiers = s3RequestTiers(inputs.requests);
  const gigabytes = inputs.kafkaBytes / 1024 ** 3;
  const sum = (f: (usage: LambdaUsage) => number) => inputs.lambda.reduce((s, u) => s + f(u), 0);
  const gbSeconds = sum((u) => (u.billedMs / 1000) * (u.memoryMb / 1024));
  const items: Array<[string, number, string, Price, number]> = [
    ['Lambda requests', sum((u) => u.invocations), 'requests', lambda.requests, 1e6],
    ['Lambda duration', gbSeconds, 'GB-s', lambda.armGbSecond, 1],
    ['DynamoDB writes', wru, 'WRU', dynamodb.writeRequestUnits, 1e6],
    ['DynamoDB reads', rru, 'RRU', dynamodb.readRequestUnits, 1e6],
    ['S3 PUT/COPY/POST/LIST', tiers.putTier, 'requests', s3.putCopyPostList, 1000],
    ['S3 GET/HEAD', tiers.getTier, 'requests', s3.getAndOthers, 1000],
    ['MSK Serverless data in', gigabytes, 'GB', msk.dataInGb, 1],
    ['MSK Serverless data out', gigabytes, 'GB', msk.dataOutGb, 1],
  ];
  const lines = items.map(([item, units, unit, { usd, status }, perUnits]) => {
    const unitsPerMillionRecords = (units / inputs.records) * 1_000_000;
    const usdPerMillionRecords = (unitsPerMillionRecords * usd) / perUnits;
    return { item, unitsPerMillionRecords, unit, usdPerMillionRecords, priceStatus: status };
  });
  const { topicPartitions: partitions } = inputs;
  const monthly = (item: string, count: number, { usd, status }: Price) => ({
    item,
    usdPerMonth: hoursPerMonth * count * usd,
    priceStatus: status,
  });
  return {
    usdPerMillionRecords: lines.reduce((total, line) => total + line.usdPerMillionRecords, 0),
    lines,
    fixedMonthly: [
      monthly('MSK Serverless cluster (1 cluster)', 1, msk.clusterHour),
      monthly(`MSK Serverless partitions (${partitions})`, partitions, msk.partitionHour),
      monthly(
        'MSK provisioned instead: 3 × kafka.m7g.large brokers (storage extra)',
        3,
        awsPrices.mskProvisioned.brokerHourM7gLarge,
      ),
    ],
  };
}
/** Counted S3 requests by price tier (and per-prefix rate limit): PUT/COPY/POST/LIST, GET/HEAD. */
export function s3RequestTiers(requests: Record<string, number>) {
  let putTier = 0;
  let getTier = 0;
  for (const [key, count] of Object.entries(requests)) {
    if (!key.startsWith('s3.') || isMeasure(key)) continue;
    const operation = key.slice(3);
    if (s3PutTier.test(operation)) putTier += count;
    else if (!s3Free.test(operation)) getTier += count;
  }
  return { putTier, getTier };
}
