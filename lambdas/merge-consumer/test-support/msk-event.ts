import type { Envelope, TombstoneHeaders } from '../../shared/envelope';
import { tombstoneMessage, wrapInEnvelope } from '../../shared/envelope';
import type { Customer, Product } from '../../shared/records';

/** One Kafka record as the test wants it delivered; `value` may be anything to build poison. */
export interface TestRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Epoch millis; defaults to 2026-01-15T10:00:00Z + offset seconds. */
  timestamp?: number;
  /** Defaults to the payload id; `null` sends the record without a key. */
  key?: string | null;
  /**
   * An envelope (JSON-encoded), a raw string (sent as is), `{ base64 }` for raw base64 text, or
   * `null` for a tombstone, which AWS sends without a `value` field.
   */
  value: Envelope | string | { base64: string } | null;
  headers?: Record<string, string>;
}

export const DEFAULT_TIMESTAMP = Date.parse('2026-01-15T10:00:00Z');

/**
 * The event Lambda would deliver for `records` (grouped by `topic-partition`, base64 values): an
 * MSK event by default, or the self-managed Kafka shape (no `eventSourceArn`).
 */
export function mskEvent(
  records: readonly TestRecord[],
  eventSource: 'aws:kafka' | 'SelfManagedKafka' = 'aws:kafka',
): {
  eventSource: 'aws:kafka' | 'SelfManagedKafka';
  eventSourceArn?: string;
  bootstrapServers: string;
  records: Record<string, unknown[]>;
} {
  const grouped: Record<string, unknown[]> = {};
  for (const record of records) {
    const id = `${record.topic}-${record.partition}`;
    (grouped[id] ??= []).push({
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp ?? DEFAULT_TIMESTAMP + record.offset * 1000,
      timestampType: 'CREATE_TIME',
      ...(record.key === null
        ? {}
        : { key: Buffer.from(record.key ?? keyOf(record.value)).toString('base64') }),
      ...(record.value === null ? {} : { value: encodeValue(record.value) }),
      // Lambda writes header bytes as Java's signed bytes (aws-lambda-go JSONNumberBytes: int8).
      headers: Object.entries(record.headers ?? {}).map(([name, value]) => ({
        [name]: [...new Int8Array(Buffer.from(value))],
      })),
    });
  }
  const bootstrapServers = 'b-1.local:9092,b-2.local:9092';
  if (eventSource === 'SelfManagedKafka')
    return { eventSource, bootstrapServers, records: grouped };
  return {
    eventSource,
    eventSourceArn:
      'arn:aws:kafka:us-east-1:123456789012:cluster/ecom-sync/abcd1234-abcd-cafe-abab-9876543210ab-4',
    bootstrapServers,
    records: grouped,
  };
}

function keyOf(value: TestRecord['value']): string {
  return typeof value === 'object' && value !== null && 'payload' in value
    ? value.payload.id
    : 'poison';
}

function encodeValue(value: Exclude<TestRecord['value'], null>): string {
  if (typeof value === 'string') return Buffer.from(value).toString('base64');
  if ('base64' in value) return value.base64;
  return Buffer.from(JSON.stringify(value)).toString('base64');
}

export function customer(id: string, overrides: Partial<Customer> = {}): Customer {
  return {
    id,
    name: `Customer ${id}`,
    email: `${id}@example.com`,
    createdDate: '2025-01-01T00:00:00.000Z',
    updatedAt: '2026-01-15T09:00:00.000Z',
    ...overrides,
  };
}

export function product(id: string, overrides: Partial<Product> = {}): Product {
  return {
    id,
    productName: `Product ${id}`,
    sku: `SKU-${id}`,
    stockQuantity: 7,
    updatedAt: '2026-01-15T09:00:00.000Z',
    ...overrides,
  };
}

export function customerEnvelope(payload: Customer): Envelope {
  return wrapInEnvelope({ eventType: 'CUSTOMER', payload, source: 'crm', syncType: 'INCREMENTAL' });
}

export function productEnvelope(payload: Product): Envelope {
  return wrapInEnvelope({
    eventType: 'PRODUCT',
    payload,
    source: 'inventory',
    syncType: 'INCREMENTAL',
  });
}

/** A delete of `id` as the pollers publish it (`tombstoneMessage`): key = id, no value, headers. */
export function tombstone(
  at: Pick<TestRecord, 'topic' | 'partition' | 'offset'>,
  eventType: TombstoneHeaders['eventType'],
  id: string,
  deletedAt = '2026-01-15T09:30:00.000Z',
): TestRecord {
  const message = tombstoneMessage({
    eventType,
    deleted: { id, deletedAt },
    source: eventType === 'CUSTOMER' ? 'crm' : 'inventory',
    syncType: 'INCREMENTAL',
  });
  return { ...at, ...message };
}
