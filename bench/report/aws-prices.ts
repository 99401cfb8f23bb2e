/**
 * Public AWS list prices (us-east-1, on-demand, no free tier, no savings plans) used by the cost
 * estimate. Read on `pricesReadOn` from the official pricing pages; the stored copies of those
 * pages did not show every figure, so each price says how it was checked:
 * - `secondary-source`: the figure was confirmed on a dated third-party page (`confirmedBy`)
 *   that quotes the official page; the official page is `source`.
 * - `unverified`: the figure is AWS's long-standing list price as remembered, NOT confirmed
 *   while writing this; check `source` before relying on it.
 * Update the figures, their status and the date together.
 */
export const pricesReadOn = '2026-11-23';

export type PriceStatus = 'secondary-source' | 'unverified';

export interface Price {
  usd: number;
  unit: string;
  source: string;
  confirmedBy?: string;
  status: PriceStatus;
}

const lambdaPage = 'https://aws.amazon.com/lambda/pricing/';
const dynamodbPage = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const s3Page = 'https://aws.amazon.com/s3/pricing/';
const mskPage = 'https://aws.amazon.com/msk/pricing/';

export const awsPrices = {
  region: 'us-east-1',
  lambda: {
    requests: {
      usd: 0.2,
      unit: 'per 1M requests',
      source: lambdaPage,
      status: 'unverified',
    },
    armGbSecond: {
      usd: 0.0000133334,
      unit: 'per GB-second (Arm, first 7.5B GB-s/month)',
      source: lambdaPage,
      confirmedBy: 'https://cloudchipr.com/blog/aws-lambda-pricing',
      status: 'secondary-source',
    },
  },
  dynamodb: {
    writeRequestUnits: {
      usd: 0.625,
      unit: 'per 1M write request units (on-demand)',
      source: dynamodbPage,
      confirmedBy: 'https://airbyte.com/data-engineering-resources/dynamodb-pricing',
      status: 'secondary-source',
    },
    readRequestUnits: {
      usd: 0.125,
      unit: 'per 1M read request units (on-demand)',
      source: dynamodbPage,
      confirmedBy: 'https://airbyte.com/data-engineering-resources/dynamodb-pricing',
      status: 'secondary-source',
    },
  },
  s3: {
    putCopyPostList: {
      usd: 0.005,
      unit: 'per 1,000 PUT, COPY, POST, LIST requests (S3 Standard)',
      source: s3Page,
      confirmedBy: 'https://c3x.dev/blog/s3-request-fees-explained',
      status: 'secondary-source',
    },
    getAndOthers: {
      usd: 0.0004,
      unit: 'per 1,000 GET, HEAD and other requests (S3 Standard)',
      source: s3Page,
      confirmedBy: 'https://c3x.dev/blog/s3-request-fees-explained',
      status: 'secondary-source',
    },
  },
  /** The default deployment (DESIGN.md): MSK Serverless. */
  mskServerless: {
    clusterHour: { usd: 0.75, unit: 'per cluster-hour', source: mskPage, status: 'unverified' },
    partitionHour: {
      usd: 0.0015,
      unit: 'per partition-hour',
      source: mskPage,
      status: 'unverified',
    },
    dataInGb: { usd: 0.1, unit: 'per GB written', source: mskPage, status: 'unverified' },
    dataOutGb: { usd: 0.05, unit: 'per GB read', source: mskPage, status: 'unverified' },
  },
  /** The provisioned option: broker-hours are a fixed monthly cost, not a per-record one. */
  mskProvisioned: {
    brokerHourM7gLarge: {
      usd: 0.204,
      unit: 'per broker-hour, kafka.m7g.large (Standard broker)',
      source: mskPage,
      status: 'unverified',
    },
  },
} as const satisfies Record<string, unknown>;

export type AwsPrices = typeof awsPrices;

/** Every price with a dotted name, for the report's price table. */
export function priceList(prices: AwsPrices = awsPrices): Array<{ name: string } & Price> {
  const list: Array<{ name: string } & Price> = [];
  for (const [service, entries] of Object.entries(prices)) {
    if (typeof entries !== 'object') continue;
    for (const [name, price] of Object.entries(entries as Record<string, Price>)) {
      list.push({ name: `${service}.${name}`, ...price });
    }
  }
  return list;
}
