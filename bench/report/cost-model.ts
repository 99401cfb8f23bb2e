import type { AwsPrices, PriceStatus } from './aws-prices';
import { awsPrices } from './aws-prices';
import { isMeasure, requestUnits } from './request-summary';

export interface LambdaUsage {
  functionName: string;
  invocations: number;
  /** Sum of the invocations' durations, each rounded up to 1 ms as Lambda bills them. */
  billedMs: number;
  memoryMb: number;
}

/** What a measured run used: the counted requests and the functions' measured durations. */
export interface CostInputs {
  /** Records the run carried end to end (scenario 1's N). */
  records: number;
  /**
   * Counted requests by `<service>.<operation>` (`dynamodb.PutItem`, `s3.GetObject`, …), with the
   * DynamoDB request units measured per call (`dynamodb.<operation>.wru` / `.rru`).
   */
  requests: Record<string, number>;
  lambda: LambdaUsage[];
  /** Bytes of the messages written to the source topics; each is read once by the consumer. */
  kafkaBytes: number;
  /** Partitions of every pipeline topic (MSK Serverless bills partition-hours). */
  topicPartitions: number;
}

export interface CostLine {
  item: string;
  /** Billing units per million records (requests, GB-s, request units, GB). */
  unitsPerMillionRecords: number;
  unit: string;
  usdPerMillionRecords: number;
  priceStatus: PriceStatus;
}

export interface FixedMonthlyLine {
  item: string;
  usdPerMonth: number;
  priceStatus: PriceStatus;
}

export interface CostEstimate {
  usdPerMillionRecords: number;
  lines: CostLine[];
  /** Costs that do not scale with records (MSK cluster/partition/broker hours), per 730-hour month. */
  fixedMonthly: FixedMonthlyLine[];
  assumptions: string[];
}

const hoursPerMonth = 730;
const gib = 1024 ** 3;

/** S3 operations billed in the PUT/COPY/POST/LIST tier; DELETE is free; the rest is GET tier. */
const s3Tier1 = new Set([
  'PutObject',
  'CopyObject',
  'ListObjectsV2',
  'ListObjects',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
]);
const s3Free = new Set(['DeleteObject', 'DeleteObjects']);

export const costAssumptions = [
  'us-east-1 list prices, on-demand, no free tier, no savings plans; see the price table for each price and how it was checked',
  'data transfer is ignored (same-region traffic; NAT/egress to the Analytics and source APIs not included)',
  'DynamoDB: the write and read request units every call consumed, as measured (bench/instrumentation/dynamodb-capacity.ts: what DynamoDB returned, or AWS’s rules where DynamoDB Local does not report them, failed conditional writes included); control-plane calls are free',
  'S3: PUT/COPY/POST/LIST tier for writes and listings, GET tier for GET/HEAD, DELETE free; storage is not included (objects are small and short-lived)',
  'Lambda: Arm (infra/ deploys arm64), measured in-handler durations rounded up to 1 ms each, at each function’s configured memory; EventBridge schedule invocations are not priced',
  'MSK Serverless (the default deployment): data in and out per GB from the measured message bytes (each message read once); cluster-hours and partition-hours are fixed monthly costs, shown apart; MSK provisioned brokers likewise',
];

/** Cost per million records from measured counts; pure arithmetic, so it is unit-tested. */
export function estimateCost(inputs: CostInputs, prices: AwsPrices = awsPrices): CostEstimate {
  if (inputs.records <= 0) throw new Error('cost estimate needs a run that carried records');
  const perMillion = (units: number): number => (units / inputs.records) * 1_000_000;
  const lines: CostLine[] = [];
  const line = (
    item: string,
    units: number,
    unit: string,
    usdPerUnit: number,
    priceStatus: PriceStatus,
  ): void => {
    const unitsPerMillionRecords = perMillion(units);
    lines.push({
      item,
      unitsPerMillionRecords,
      unit,
      usdPerMillionRecords: unitsPerMillionRecords * usdPerUnit,
      priceStatus,
    });
  };

  const invocations = inputs.lambda.reduce((sum, usage) => sum + usage.invocations, 0);
  line(
    'Lambda requests',
    invocations,
    'requests',
    prices.lambda.requests.usd / 1_000_000,
    prices.lambda.requests.status,
  );
  const gbSeconds = inputs.lambda.reduce(
    (sum, usage) => sum + (usage.billedMs / 1000) * (usage.memoryMb / 1024),
    0,
  );
  line(
    'Lambda duration',
    gbSeconds,
    'GB-s',
    prices.lambda.armGbSecond.usd,
    prices.lambda.armGbSecond.status,
  );

  const { wru: writeUnits, rru: readUnits } = requestUnits(inputs.requests);
  const { putTier: s3Tier1Requests, getTier: s3Tier2Requests } = s3RequestTiers(inputs.requests);
  const { dynamodb, s3, mskServerless, mskProvisioned } = prices;
  line(
    'DynamoDB writes',
    writeUnits,
    'WRU',
    dynamodb.writeRequestUnits.usd / 1_000_000,
    dynamodb.writeRequestUnits.status,
  );
  line(
    'DynamoDB reads',
    readUnits,
    'RRU',
    dynamodb.readRequestUnits.usd / 1_000_000,
    dynamodb.readRequestUnits.status,
  );
  line(
    'S3 PUT/COPY/POST/LIST',
    s3Tier1Requests,
    'requests',
    s3.putCopyPostList.usd / 1000,
    s3.putCopyPostList.status,
  );
  line(
    'S3 GET/HEAD',
    s3Tier2Requests,
    'requests',
    s3.getAndOthers.usd / 1000,
    s3.getAndOthers.status,
  );
  const gigabytes = inputs.kafkaBytes / gib;
  line(
    'MSK Serverless data in',
    gigabytes,
    'GB',
    mskServerless.dataInGb.usd,
    mskServerless.dataInGb.status,
  );
  line(
    'MSK Serverless data out',
    gigabytes,
    'GB',
    mskServerless.dataOutGb.usd,
    mskServerless.dataOutGb.status,
  );

  const fixedMonthly: FixedMonthlyLine[] = [
    {
      item: 'MSK Serverless cluster (1 cluster)',
      usdPerMonth: hoursPerMonth * mskServerless.clusterHour.usd,
      priceStatus: mskServerless.clusterHour.status,
    },
    {
      item: `MSK Serverless partitions (${inputs.topicPartitions})`,
      usdPerMonth: hoursPerMonth * inputs.topicPartitions * mskServerless.partitionHour.usd,
      priceStatus: mskServerless.partitionHour.status,
    },
    {
      item: 'MSK provisioned instead: 3 × kafka.m7g.large brokers (storage extra)',
      usdPerMonth: hoursPerMonth * 3 * mskProvisioned.brokerHourM7gLarge.usd,
      priceStatus: mskProvisioned.brokerHourM7gLarge.status,
    },
  ];

  return {
    usdPerMillionRecords: lines.reduce((sum, l) => sum + l.usdPerMillionRecords, 0),
    lines,
    fixedMonthly,
    assumptions: costAssumptions,
  };
}

/** Counted S3 requests by price tier (and per-prefix rate limit): PUT/COPY/POST/LIST, GET/HEAD. */
export function s3RequestTiers(requests: Record<string, number>): {
  putTier: number;
  getTier: number;
} {
  let putTier = 0;
  let getTier = 0;
  for (const [key, count] of Object.entries(requests)) {
    const [service, operation = ''] = splitKey(key);
    if (service !== 's3' || isMeasure(key)) continue;
    if (s3Tier1.has(operation)) putTier += count;
    else if (!s3Free.has(operation)) getTier += count;
  }
  return { putTier, getTier };
}

function splitKey(key: string): [string, string | undefined] {
  const dot = key.indexOf('.');
  return dot < 0 ? [key, undefined] : [key.slice(0, dot), key.slice(dot + 1)];
}
