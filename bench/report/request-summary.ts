import { sum } from './percentiles';

/** Request families of the counted keys (instrumentation/counters.ts), with their printed labels. */
const families = {
  dynamodb: ['DynamoDB', (key: string) => key.startsWith('dynamodb.')],
  s3: ['S3', (key: string) => key.startsWith('s3.')],
  kafkaProduce: ['Kafka Produce', (key: string) => key === 'kafka.Produce'],
  kafkaFetch: ['Kafka Fetch', (key: string) => key === 'kafka.Fetch'],
  /** Metadata, OffsetCommit, Heartbeat, JoinGroup, …: the rest of the Kafka protocol. */
  kafkaOther: [
    'Kafka other',
    (key: string) => key.startsWith('kafka.') && key !== 'kafka.Produce' && key !== 'kafka.Fetch',
  ],
  analyticsPosts: ['Analytics POST', (key: string) => key === 'http.POST /analytics/data'],
  sourceGets: [
    'source GET',
    (key: string) => key === 'http.GET /crm/customers' || key === 'http.GET /inventory/products',
  ],
  /** Passed in, not a counted key. */
  lambdaInvocations: ['Lambda invocations', () => false],
} as const;
export type RequestFamily = keyof typeof families;
export const familyNames = Object.keys(families) as RequestFamily[];
export const familyLabels = Object.fromEntries(
  familyNames.map((family) => [family, families[family][0]]),
) as Record<RequestFamily, string>;

/** `.items` (items of batch calls) and `.wru`/`.rru` (request units) are measures, not requests. */
export const isMeasure = (key: string): boolean => /\.(items|wru|rru)$/.test(key);

export function summarizeRequests(byOperation: Record<string, number>, lambdaInvocations: number) {
  const counts = Object.entries(byOperation).filter(([key]) => !isMeasure(key));
  const summary = Object.fromEntries(
    familyNames.map((family) => [
      family,
      counts.reduce((sum, [key, count]) => sum + (families[family][1](key) ? count : 0), 0),
    ]),
  ) as Record<RequestFamily, number>;
  return { ...summary, lambdaInvocations, byOperation: { ...byOperation } };
}

export function requestUnits(byOperation: Record<string, number>, records = 1) {
  const total = (suffix: string) =>
    sum(Object.entries(byOperation), ([key, value]) => (key.endsWith(suffix) ? value : 0));
  const wru = total('.wru');
  const rru = total('.rru');
  return { wru, rru, wruPerRecord: wru / records, rruPerRecord: rru / records };
}

export function requestsPer(summary: Record<RequestFamily, number>, records: number, per: number) {
  return Object.fromEntries(
    familyNames.map((family) => [family, (summary[family] / records) * per]),
  ) as Record<RequestFamily, number>;
}

/** `after - before` per key (counters only grow; a key missing before counts from 0). */
export function countsSince(after: Record<string, number>, before: Record<string, number>) {
  return Object.fromEntries(
    Object.entries(after)
      .map(([key, value]) => [key, value - (before[key] ?? 0)] as const)
      .filter(([, difference]) => difference !== 0),
  );
}

/** Zero means a counter missed its clients (a second library copy, a late hook): every figure would lie. */
export function missingCounters(summary: Record<RequestFamily, number>): RequestFamily[] {
  return familyNames.filter((family) => family !== 'kafkaOther' && summary[family] === 0);
}
