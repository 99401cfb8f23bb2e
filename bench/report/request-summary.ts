/** The request families the issue asks to count, per scenario. */
export interface RequestSummary {
  dynamodb: number;
  s3: number;
  kafkaProduce: number;
  kafkaFetch: number;
  /** Metadata, OffsetCommit, Heartbeat, JoinGroup, …: the rest of the Kafka protocol. */
  kafkaOther: number;
  analyticsPosts: number;
  sourceGets: number;
  lambdaInvocations: number;
  /** Every counted `<service>.<operation>`, for the JSON. */
  byOperation: Record<string, number>;
}

export type RequestFamily = Exclude<keyof RequestSummary, 'byOperation'>;
export const requestFamilies: readonly RequestFamily[] = [
  'dynamodb',
  's3',
  'kafkaProduce',
  'kafkaFetch',
  'kafkaOther',
  'analyticsPosts',
  'sourceGets',
  'lambdaInvocations',
];

const sourcePaths = ['/crm/customers', '/inventory/products'];

export function summarizeRequests(
  byOperation: Record<string, number>,
  lambdaInvocations: number,
): RequestSummary {
  const summary: RequestSummary = {
    dynamodb: 0,
    s3: 0,
    kafkaProduce: 0,
    kafkaFetch: 0,
    kafkaOther: 0,
    analyticsPosts: 0,
    sourceGets: 0,
    lambdaInvocations,
    byOperation: { ...byOperation },
  };
  for (const [key, count] of Object.entries(byOperation)) {
    // `.items` (items of batch calls) and `.wru`/`.rru` (request units) are not requests.
    if (isMeasure(key)) continue;
    if (key.startsWith('dynamodb.')) summary.dynamodb += count;
    else if (key.startsWith('s3.')) summary.s3 += count;
    else if (key === 'kafka.Produce') summary.kafkaProduce += count;
    else if (key === 'kafka.Fetch') summary.kafkaFetch += count;
    else if (key.startsWith('kafka.')) summary.kafkaOther += count;
    else if (key === 'http.POST /analytics/data') summary.analyticsPosts += count;
    else if (sourcePaths.some((path) => key === `http.GET ${path}`)) summary.sourceGets += count;
  }
  return summary;
}

const measureSuffixes = ['.items', '.wru', '.rru'];
export const isMeasure = (key: string): boolean =>
  measureSuffixes.some((suffix) => key.endsWith(suffix));

/** DynamoDB write and read request units the counted calls consumed (aws-sdk-counter.ts). */
export function requestUnits(byOperation: Record<string, number>): { wru: number; rru: number } {
  let wru = 0;
  let rru = 0;
  for (const [key, value] of Object.entries(byOperation)) {
    if (key.endsWith('.wru')) wru += value;
    else if (key.endsWith('.rru')) rru += value;
  }
  return { wru, rru };
}

/** Requests per `per` records (1,000 for scenario 1, 1 for the resync). */
export function requestsPer(
  summary: RequestSummary,
  records: number,
  per: number,
): Record<RequestFamily, number> {
  const rates = {} as Record<RequestFamily, number>;
  for (const family of requestFamilies) {
    rates[family] = records > 0 ? (summary[family] / records) * per : 0;
  }
  return rates;
}

/** `after - before` per key (counters only grow; a key missing before counts from 0). */
export function countsSince(
  after: Record<string, number>,
  before: Record<string, number>,
): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const difference = value - (before[key] ?? 0);
    if (difference !== 0) delta[key] = difference;
  }
  return delta;
}

/**
 * Families a fresh load cannot run without: zero means a counter missed its clients (a second
 * copy of a library, a hook installed too late), and every figure derived from it would lie.
 */
export function missingCounters(summary: RequestSummary): RequestFamily[] {
  return requestFamilies.filter((family) => family !== 'kafkaOther' && summary[family] === 0);
}
