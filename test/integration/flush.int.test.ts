import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import type { Kafka, Producer } from 'kafkajs';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { localCredentials } from '../../localstack/stack/endpoints';
import { provisionPipelineResources } from '../../localstack/stack/provision';
import type { MockApiServer } from '../../lambdas/mock-apis/local-server';
import { startMockApiServer } from '../../lambdas/mock-apis/local-server';
import type { AnalyticsStats } from '../../lambdas/shared/analytics-payload';
import { AnalyticsStatsSchema } from '../../lambdas/shared/analytics-payload';
import { DlqMessageSchema, DlqPublisher } from '../../lambdas/shared/dlq';
import { DlqTopic } from '../../lambdas/flush/dlq-topic';
import type { DlqMessage } from '../../lambdas/shared/dlq';
import { HttpClient } from '../../lambdas/shared/http-client';
import { createKafka, createProducer, KafkaEnvSchema } from '../../lambdas/shared/kafka';
import type { StagedBatch, StagingStore } from '../../lambdas/shared/staging-format';
import { S3StagingStore } from '../../lambdas/shared/staging-format';
import { createAnalyticsPoster } from '../../lambdas/flush/outbox';
import type { FlushCommand, FlushResult } from '../../lambdas/flush/commands';
import { executeCommand } from '../../lambdas/flush/commands';
import { acquireLease } from '../../lambdas/flush/lease';
import type { FlushDeps } from '../../lambdas/flush/outbox';
import { eventIdFor } from '../../lambdas/flush/packing';
import { stagedBatch } from '../../lambdas/flush/test-support/fixtures';
import type { StackEndpoints } from '../support/local-stack';
import { applyLocalStackEnv, localStack } from '../support/local-stack';

const suffix = randomUUID().slice(0, 8);
const dlqTopic = `flush-it-dlq-${suffix}`;
const syncStateTable = `flush-it-sync-state-${suffix}`;
const limits = { maxRecordsPerPost: 25, maxBytesPerPost: 4 * 1024 * 1024 };

let endpoints: StackEndpoints;
let s3: S3Client;
let dynamodb: DynamoDBClient;
let kafka: Kafka;
let producer: Producer;
let analytics: MockApiServer;
let bucket: string;
let store: S3StagingStore;

beforeAll(async () => {
  endpoints = localStack();
  applyLocalStackEnv();
  await provisionPipelineResources(endpoints, {
    customerTopic: `flush-it-customers-${suffix}`,
    productTopic: `flush-it-products-${suffix}`,
    dlqTopic,
    idempotencyTable: `flush-it-idempotency-${suffix}`,
    syncStateTable,
    stagingBucket: `flush-it-staging-${suffix}`,
  });
  s3 = new S3Client({
    endpoint: endpoints.s3Endpoint,
    region: endpoints.region,
    credentials: localCredentials,
    forcePathStyle: true,
  });
  dynamodb = new DynamoDBClient({
    endpoint: endpoints.dynamodbEndpoint,
    region: endpoints.region,
    credentials: localCredentials,
  });
  kafka = await createKafka(
    KafkaEnvSchema.parse({ KAFKA_BROKERS: endpoints.kafkaBrokers, KAFKA_CLIENT_ID: 'flush-it' }),
  );
  producer = createProducer(kafka);
  await producer.connect();
  return async () => {
    await producer.disconnect();
    dynamodb.destroy();
    s3.destroy();
  };
});

beforeEach(async () => {
  bucket = `flush-it-${randomUUID().slice(0, 12)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  store = new S3StagingStore(s3, bucket);
  // A fresh Analytics per test: a slow POST a test gave up on must not land in the next test's stats.
  analytics = await startMockApiServer({ port: 0, seed: 7, customers: 10, products: 10 });
  return () => analytics.close();
});

async function admin(
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<void> {
  const response = await fetch(`${analytics.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.ok, `${method} ${path} → ${response.status}`).toBe(true);
}

async function stats(): Promise<AnalyticsStats> {
  const response = await fetch(`${analytics.url}/analytics/stats`);
  return AnalyticsStatsSchema.parse(await response.json());
}

/** Stages `count` batches of 4 customers + 3 products on two days; returns them oldest first. */
async function stageBatches(count: number, prefix = 'batch'): Promise<StagedBatch[]> {
  const batches = Array.from({ length: count }, (_, i) =>
    stagedBatch(`${prefix}-${suffix}-${i}`, 4, 3),
  );
  for (const [i, batch] of batches.entries()) {
    await store.put(
      `staging/2026/01/0${i < count / 2 ? 1 : 2}/${batch.batchId}.json`,
      JSON.stringify(batch),
    );
  }
  return batches;
}

const recordCount = (batches: readonly StagedBatch[]): number =>
  batches.reduce((sum, batch) => sum + batch.customers.length + batch.products.length, 0);

function deps(
  overrides: { store?: StagingStore; maxAttempts?: number; timeoutMs?: number } = {},
): FlushDeps {
  const maxAttempts = overrides.maxAttempts ?? 4;
  const http = new HttpClient({
    timeoutMs: overrides.timeoutMs ?? 5_000,
    maxAttempts,
    baseDelayMs: 20,
    maxDelayMs: 100,
  });
  return {
    store: overrides.store ?? store,
    poster: createAnalyticsPoster({ http, baseUrl: analytics.url, maxAttempts }),
    dlq: new DlqPublisher(producer, dlqTopic),
    topic: new DlqTopic(kafka, producer, dlqTopic),
    metrics: { addMetric: () => undefined } as unknown as FlushDeps['metrics'],
    logger: {
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    },
    now: Date.now,
  };
}

function run(
  command: FlushCommand,
  flushDeps: FlushDeps = deps(),
  budgetMs = 30_000,
): Promise<FlushResult> {
  return executeCommand(flushDeps, command, { limits, deadline: Date.now() + budgetMs }, () =>
    acquireLease({
      dynamodb,
      tableName: syncStateTable,
      owner: randomUUID(),
      durationMs: budgetMs + 5_000,
    }),
  );
}

async function keys(prefix: string): Promise<string[]> {
  return (await store.list(prefix)).map((object) => object.key).sort();
}

/** How many messages the test's DLQ topic holds (sum of the partitions' high watermarks). */
async function dlqMessageCount(): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(dlqTopic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Every message on the test's DLQ topic, read from the beginning with a fresh consumer group. */
async function dlqMessages(expected: number): Promise<DlqMessage[]> {
  const consumer = kafka.consumer({ groupId: `flush-it-reader-${randomUUID()}` });
  const messages: DlqMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        messages.push(DlqMessageSchema.parse(JSON.parse(message.value!.toString())));
      },
    });
    await vi.waitFor(() => expect(messages.length).toBeGreaterThanOrEqual(expected), {
      timeout: 30_000,
      interval: 200,
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

describe('flush against S3Mock, DynamoDB Local, Kafka and the mock Analytics API', () => {
  it('the handler delivers every staged batch exactly once and moves it to delivered/', async () => {
    const batches = await stageBatches(6);
    Object.assign(process.env, {
      STAGING_BUCKET: bucket,
      SYNC_STATE_TABLE: syncStateTable,
      ANALYTICS_API_BASE_URL: analytics.url,
      DLQ_TOPIC: dlqTopic,
      FLUSH_MAX_RECORDS_PER_POST: String(limits.maxRecordsPerPost),
      FLUSH_BASE_DELAY_MS: '20',
      FLUSH_MAX_DELAY_MS: '100',
      FLUSH_DEADLINE_MARGIN_MS: '1000',
      POWERTOOLS_METRICS_NAMESPACE: 'EcomSyncIt',
    });
    const { handler } = await import('../../lambdas/flush/handler');
    const context = {
      awsRequestId: randomUUID(),
      functionName: 'flush',
      getRemainingTimeInMillis: () => 60_000,
    } as unknown as Context;
    const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };

    const started = performance.now();
    const result = await handler(scheduled, context);
    console.log(
      `[flush-it] handler flushed ${recordCount(batches)} records in ${Math.round(performance.now() - started)} ms`,
    );

    expect(result).toMatchObject({ status: 'ok', quarantined: 0, remaining: 0 });
    const received = await stats();
    expect(received).toMatchObject({
      uniqueVersions: recordCount(batches),
      duplicateRecords: 0,
      duplicatePayloads: 0,
    });
    expect(received.payloads).toBe(Math.ceil(recordCount(batches) / 21)); // 3 batches of 7 per 25-record POST
    expect(await keys('staging/')).toEqual([]);
    expect(await keys('delivered/')).toHaveLength(batches.length);
    expect(await keys('delivered/2026/01/01/')).toHaveLength(3);
    // Nothing left: a second run posts nothing.
    expect(await handler(scheduled, context)).toMatchObject({ status: 'ok', payloads: [] });
    expect((await stats()).payloads).toBe(received.payloads);
  });

  it('delivers an id whose latest version is a delete in deleted*: Analytics removes it', async () => {
    const [updates, deletes] = [
      stagedBatch(`upd-${suffix}`, 4, 3),
      stagedBatch(`del-${suffix}`, 0, 0),
    ];
    const [customer, product] = [updates.customers[0]!, updates.products[0]!];
    // Read in this order from Kafka, the delete last, though its deletedAt is older than updatedAt.
    const deletedAt = '2025-12-01T00:00:00.000Z';
    updates.recordPositions = { [`CUSTOMER#${customer.id}`]: { partition: 0, offset: '1' } };
    deletes.recordPositions = { [`CUSTOMER#${customer.id}`]: { partition: 0, offset: '2' } };
    deletes.deletedCustomers = [{ id: customer.id, deletedAt }];
    deletes.deletedProducts = [{ id: product.id, deletedAt: '2026-02-01T00:00:00.000Z' }];
    for (const batch of [updates, deletes])
      await store.put(`staging/2026/01/01/${batch.batchId}.json`, JSON.stringify(batch));
    expect(await run({ action: 'flush' })).toMatchObject({ status: 'ok', remaining: 0 });
    expect(await stats()).toMatchObject({
      payloads: 1,
      uniqueRecords: 5,
      deletes: 2,
      recordsReceived: 7,
      duplicateRecords: 0,
    });
  });

  it('quarantines a malformed staged object in dlq/ and still delivers the rest', async () => {
    const batches = await stageBatches(2);
    await store.put(`staging/2026/01/01/broken-${suffix}.json`, '{"batchId":');

    const result = await run({ action: 'flush' });

    expect(result).toMatchObject({ status: 'ok', quarantined: 1 });
    expect(await keys('dlq/')).toEqual([`dlq/2026/01/01/broken-${suffix}.json`]);
    expect((await stats()).uniqueVersions).toBe(recordCount(batches));
    const messages = await dlqMessages(1);
    expect(
      messages.filter((m) => m.origin.s3Keys?.[0] === `dlq/2026/01/01/broken-${suffix}.json`),
    ).toHaveLength(1);
  });

  it('parks batches and publishes to analytics_dlq when Analytics fails every attempt; redrive delivers them once', async () => {
    const batches = await stageBatches(2, 'outage');
    // Plain 503s (no Retry-After), so the 4 attempts run out well inside the 5 s budget. An
    // outage answering Retry-After beyond the budget is the deadline case (next test).
    await admin('PUT', '/admin/faults', { analytics: { errorRate: 1, status: 503 } });

    const parkedKeys = (await keys('staging/')).map((key) => key.replace(/^staging\//, 'dlq/'));
    const failed = await run({ action: 'flush' }, deps(), 5_000);

    const eventId = eventIdFor(batches.map((batch) => batch.batchId));
    expect(failed).toMatchObject({ status: 'ok', stoppedEarly: 'analytics-unavailable' });
    expect(await keys('staging/')).toEqual([]);
    expect(await keys('dlq/')).toEqual(parkedKeys);
    expect(await keys('outbox/')).toEqual([`outbox/${eventId}.json`]);
    const message = (await dlqMessages(1)).find((m) => m.origin.eventId === eventId);
    expect(message).toMatchObject({
      stage: 'flush',
      origin: { eventId, batchIds: batches.map((b) => b.batchId) },
    });
    expect(message!.reason).toMatch(/HTTP 503/);
    expect(await run({ action: 'list-dlq' })).toEqual({
      status: 'ok',
      parked: [expect.objectContaining({ eventId, batchCount: 2 })],
      // flush's own DLQ message (header `stage`) is not a record the mapping dead-lettered.
      failedRecords: [],
    });

    // Still down: the redrive fails and the batches stay parked.
    expect(await run({ action: 'redrive' }, deps(), 3_000)).toMatchObject({
      failed: [{ eventId }],
    });
    expect(await keys('dlq/')).toEqual(parkedKeys);

    // (GET /analytics/stats shares the faults, so the stats are read once they are cleared:
    // payloads 1 below also shows that no failed attempt was stored.)
    await admin('DELETE', '/admin/faults');
    const redriven = await run({ action: 'redrive', eventId });

    expect(redriven).toMatchObject({
      status: 'ok',
      redriven: [{ eventId, batches: 2 }],
      failed: [],
    });
    expect(await stats()).toMatchObject({
      payloads: 1,
      uniqueVersions: recordCount(batches),
      duplicateRecords: 0,
      duplicatePayloads: 0,
    });
    expect(await keys('dlq/')).toEqual([]);
    expect(await keys('outbox/')).toEqual([]);
    expect(await keys('delivered/')).toHaveLength(2);
  });

  it('when the budget ends the retries, nothing is parked and the next run delivers the same payload', async () => {
    const batches = await stageBatches(2, 'budget');
    await admin('PUT', '/admin/faults', { analytics: { errorRate: 1, status: 503 } });
    const dlqBefore = await dlqMessageCount();

    // Far more attempts than the 1.5 s budget allows: the deadline, not the attempts, stops it.
    const cut = await run({ action: 'flush' }, deps({ maxAttempts: 1_000 }), 1_500);

    const eventId = eventIdFor(batches.map((batch) => batch.batchId));
    expect(cut).toMatchObject({
      status: 'ok',
      stoppedEarly: 'deadline',
      payloads: [{ eventId, status: 'deferred' }],
    });
    expect(await keys('dlq/')).toEqual([]);
    expect(await keys('outbox/')).toEqual([`outbox/${eventId}.json`]);
    expect(await keys('staging/')).toHaveLength(2);
    expect(await dlqMessageCount()).toBe(dlqBefore);

    await admin('DELETE', '/admin/faults');
    const next = await run({ action: 'flush' });

    expect(next).toMatchObject({
      status: 'ok',
      resumed: 1,
      payloads: [{ eventId, status: 'delivered' }],
    });
    expect(await stats()).toMatchObject({
      payloads: 1,
      uniqueVersions: recordCount(batches),
      duplicateRecords: 0,
    });
    expect(await keys('staging/')).toEqual([]);
    expect(await keys('outbox/')).toEqual([]);
    expect(await keys('delivered/')).toHaveLength(2);
  });

  it('a payload stored by Analytics whose answers were lost is redriven under its key without duplicating records', async () => {
    const batches = await stageBatches(2, 'lost');
    // Analytics answers after the client has given up: it stores the payload, flush sees timeouts.
    await admin('PUT', '/admin/faults', { analytics: { latencyMs: 800 } });

    const failed = await run({ action: 'flush' }, deps({ maxAttempts: 2, timeoutMs: 200 }));

    const eventId = eventIdFor(batches.map((batch) => batch.batchId));
    expect(failed).toMatchObject({ payloads: [{ eventId, status: 'failed', retryable: true }] });
    expect(await keys('dlq/')).toHaveLength(2);

    await admin('DELETE', '/admin/faults');
    const redriven = await run({ action: 'redrive' });

    expect(redriven).toMatchObject({ redriven: [{ eventId, batches: 2 }], failed: [] });
    const received = await stats();
    console.log(`[flush-it] lost-answer scenario: ${JSON.stringify(received)}`);
    expect(received).toMatchObject({
      payloads: 1,
      uniqueVersions: recordCount(batches),
      duplicateRecords: 0,
    });
    expect(await keys('delivered/')).toHaveLength(2);
  });

  it('a crash between the POST and the move delivers nothing twice on the next run', async () => {
    const batches = await stageBatches(4, 'crash');
    let copyFailures = 1;
    const crashingStore: StagingStore = {
      list: (prefix) => store.list(prefix),
      get: (key) => store.get(key),
      put: (key, body) => store.put(key, body),
      putIfAbsent: (key, batch) => store.putIfAbsent(key, batch),
      delete: (key) => store.delete(key),
      copy: async (from, to) => {
        if (copyFailures-- > 0) throw new Error('simulated crash after the POST');
        return store.copy(from, to);
      },
    };

    await expect(run({ action: 'flush' }, deps({ store: crashingStore }))).rejects.toThrow(
      'simulated crash',
    );
    expect(await stats()).toMatchObject({ payloads: 1, duplicateRecords: 0 });
    expect(await keys('staging/')).toHaveLength(4);
    // More work staged before the restart must not be regrouped with the interrupted payload.
    const late = await stageBatches(1, 'late');

    const resumed = await run({ action: 'flush' });

    expect(resumed).toMatchObject({ status: 'ok', resumed: 1 });
    const received = await stats();
    expect(received.duplicateRecords).toBe(0);
    expect(received.uniqueVersions).toBe(recordCount([...batches, ...late]));
    expect(received.duplicatePayloads).toBe(1); // the interrupted payload, re-posted with its key
    expect(await keys('staging/')).toEqual([]);
    expect(await keys('outbox/')).toEqual([]);
    expect(await keys('delivered/')).toHaveLength(5);
  });

  it('two concurrent flushes: one answers busy, everything is delivered once', async () => {
    const batches = await stageBatches(4, 'race');
    // Slow Analytics down so the first flush is surely mid-POST when the second starts.
    await admin('PUT', '/admin/faults', { analytics: { latencyMs: 1_500 } });

    const first = run({ action: 'flush' });
    await vi.waitFor(async () => expect(await keys('outbox/')).not.toEqual([]), {
      timeout: 10_000,
      interval: 50,
    });
    const second = await run({ action: 'flush' });
    const firstResult = await first;

    expect(second).toEqual({ status: 'busy' });
    expect(firstResult).toMatchObject({ status: 'ok', remaining: 0 });
    expect(await stats()).toMatchObject({
      uniqueVersions: recordCount(batches),
      duplicateRecords: 0,
      duplicatePayloads: 0,
    });
    expect(await keys('delivered/')).toHaveLength(4);
    // The lease was released: the next flush runs (and finds nothing to do).
    expect(await run({ action: 'flush' })).toMatchObject({ status: 'ok', payloads: [] });
  });
});
