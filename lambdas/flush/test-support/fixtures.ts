import type { AnalyticsPayload } from '../../shared/analytics-payload';
import type { DlqEntry } from '../../shared/dlq';
import type { Customer, Product } from '../../shared/records';
import type { StagedBatch, StagingStore } from '../../shared/staging-format';
import type { AnalyticsPoster, DeliveryOutcome, FlushDeps } from '../outbox';

export function customer(id: string, updatedAt = '2026-01-01T00:00:00.000Z'): Customer {
  return {
    id,
    name: `Customer ${id}`,
    email: `${id}@example.com`,
    createdDate: '2025-01-01T00:00:00.000Z',
    updatedAt,
  };
}

export function product(id: string, stockQuantity = 1): Product {
  return {
    id,
    productName: `Product ${id}`,
    sku: `SKU-${id}`,
    stockQuantity,
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

export function stagedBatch(batchId: string, customers: number, products: number): StagedBatch {
  return {
    batchId,
    createdAt: '2026-01-01T00:00:00.000Z',
    customers: Array.from({ length: customers }, (_, i) => customer(`${batchId}-c${i}`)),
    products: Array.from({ length: products }, (_, i) => product(`${batchId}-p${i}`)),
    offsets: [
      { topic: 'customer_data', partition: 0, firstOffset: '0', lastOffset: String(customers) },
    ],
  };
}

export function stagedKey(batchId: string, datePath = '2026/01/01'): string {
  return `staging/${datePath}/${batchId}.json`;
}

/** Stages batches in the given order (LastModified increases with each put). */
export async function stage(
  store: StagingStore,
  batches: StagedBatch[],
  datePath?: string,
): Promise<void> {
  for (const batch of batches)
    await store.put(stagedKey(batch.batchId, datePath), JSON.stringify(batch));
}

/** A scripted Analytics: answers each POST with the next outcome (the last one repeats). */
export class FakeAnalytics implements AnalyticsPoster {
  readonly posts: AnalyticsPayload[] = [];
  /** Serialized bodies, to compare re-posts byte for byte. */
  readonly bodies: string[] = [];
  onPost?: (payload: AnalyticsPayload) => void;

  constructor(private outcomes: DeliveryOutcome[] = [{ delivered: true, status: 200 }]) {}

  script(outcomes: DeliveryOutcome[]): void {
    this.outcomes = outcomes;
  }

  async post(payload: AnalyticsPayload): Promise<DeliveryOutcome> {
    this.posts.push(payload);
    this.bodies.push(JSON.stringify(payload));
    this.onPost?.(payload);
    const outcome = this.outcomes.length > 1 ? this.outcomes.shift() : this.outcomes[0];
    return outcome ?? { delivered: true, status: 200 };
  }
}

type Failure = Extract<DeliveryOutcome, { delivered: false }>;

export const exhausted: Failure = {
  delivered: false,
  reason: 'gave up after 6 attempt(s); last failure: HTTP 503',
  attempts: 6,
  retryable: true,
};

/** The run's own deadline stopped the retries (the poster saw fewer attempts than allowed). */
export const deadlineReached: Failure = {
  delivered: false,
  reason: 'next retry in 800 ms would pass the deadline; last failure: HTTP 503',
  attempts: 2,
  retryable: true,
  deadlineReached: true,
};

export const rejected: Failure = {
  delivered: false,
  reason: 'HTTP 400: bad payload',
  attempts: 1,
  retryable: false,
};

export interface TestDeps extends FlushDeps {
  store: StagingStore;
  poster: FakeAnalytics;
  dlqEntries: DlqEntry[];
  metricValues: Map<string, number>;
}

export function testDeps(store: StagingStore, poster = new FakeAnalytics()): TestDeps {
  const dlqEntries: DlqEntry[] = [];
  const metricValues = new Map<string, number>();
  let clock = Date.parse('2026-01-01T00:10:00Z');
  return {
    store,
    poster,
    dlqEntries,
    metricValues,
    dlq: {
      publish: async (entries) => {
        dlqEntries.push(...entries);
        return [];
      },
    },
    // The DLQ topic's reads are tested against Kafka (test/integration/dlq-topic.int.test.ts).
    topic: {
      listFailed: async () => [],
      redriveFailed: async () => ({ republished: [], superseded: [] }),
      seek: async (request) => ({ groupId: request.groupId, from: {}, to: {}, records: 0 }),
      redeliver: async () => {
        throw new Error('redeliver is tested against Kafka (test/e2e/redeliver.int.test.ts)');
      },
    },
    metrics: {
      addMetric: (name: string, _unit: unknown, value: number) => {
        metricValues.set(name, (metricValues.get(name) ?? 0) + value);
      },
    } as FlushDeps['metrics'],
    logger: {
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    },
    now: () => (clock += 1),
  };
}

export const FAR_DEADLINE = Date.parse('2100-01-01T00:00:00Z');
export const generousLimits = { maxRecordsPerPost: 5_000, maxBytesPerPost: 4 * 1024 * 1024 };
