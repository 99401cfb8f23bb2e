/**
 * The two pollers on the REAL local stack (Kafka KRaft, DynamoDB Local) against the REAL mock
 * APIs over HTTP. Every scenario writes to its own topics so counts are exact.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import type { Admin, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { provisionPipelineResources } from '../../localstack/stack/provision';
import type { PipelineResourceNames } from '../../localstack/stack/provision';
import { startMockApiServer } from '../../lambdas/mock-apis/local-server';
import { ADD_CUSTOMER_ACTION } from '../../lambdas/mock-apis/soap';
import { addCustomerRequestXml } from '../../lambdas/mock-apis/test-helpers';
import type { MockApiServer } from '../../lambdas/mock-apis/local-server';
import { parseEnv } from '../../lambdas/shared/config';
import { DlqMessageSchema, DlqPublisher } from '../../lambdas/shared/dlq';
import { EnvelopeSchema, TombstoneHeadersSchema } from '../../lambdas/shared/envelope';
import type { Envelope } from '../../lambdas/shared/envelope';
import { KafkaEnvSchema, createKafka, createProducer } from '../../lambdas/shared/kafka';
import { metricNames, pipeline, sources } from '../../lambdas/shared/pipeline';
import { S3StagingStore } from '../../lambdas/shared/staging-format';
import { SyncStateRepository } from '../../lambdas/shared/sync-state';
import type { InstrumentedHttpSettings } from '../../lambdas/poller/poller-lambda';
import { InvalidPollRequestError } from '../../lambdas/poller/poll-request';
import {
  createInstrumentedHttpClient,
  createPollerLambda,
} from '../../lambdas/poller/poller-lambda';
import { runPoll } from '../../lambdas/poller/run-poll';
import type { PollResult, PollSource } from '../../lambdas/poller/run-poll';
import { applyLocalStackEnv, localStack } from '../support/local-stack';

const CUSTOMERS = 10_000;
const PRODUCTS = 5_000;
const prefix = `pollers-${randomUUID().slice(0, 8)}`;

const fastHttp: InstrumentedHttpSettings = {
  timeoutMs: 5_000,
  maxAttempts: 6,
  baseDelayMs: 5,
  maxDelayMs: 50,
  breakerThreshold: 5,
  breakerCooldownMs: 60_000,
};

let mock: MockApiServer;
let kafka: Kafka;
let producer: Producer;
let documentClient: DynamoDBDocumentClient;
let s3: S3Client;
let main: PipelineResourceNames;

async function resources(label: string): Promise<PipelineResourceNames> {
  return provisionPipelineResources(localStack(), {
    customerTopic: `${prefix}-${label}-customers`,
    productTopic: `${prefix}-${label}-products`,
    dlqTopic: `${prefix}-${label}-dlq`,
    syncStateTable: `${prefix}-${label}-sync-state`,
    idempotencyTable: `${prefix}-idempotency`,
    stagingBucket: `${prefix}-${label}`,
  });
}

interface PollOptions {
  syncStateTable: string;
  topic: string;
  dlqTopic: string;
  event?: unknown;
  http?: ReturnType<typeof createInstrumentedHttpClient>['http'];
  remainingTimeMs?: () => number;
  metrics?: Map<string, number>;
  pageSize?: number;
  producer?: Pick<Producer, 'send'>;
}

function countingMetrics(values = new Map<string, number>()) {
  return {
    addMetric: (name: string, _unit: unknown, value: number) => {
      values.set(name, (values.get(name) ?? 0) + value);
    },
  };
}

const quietLogger = new Logger({ serviceName: 'pollers-int-test', logLevel: 'SILENT' });

function poll(source: PollSource, options: PollOptions): Promise<PollResult> {
  const metricValues = options.metrics ?? new Map<string, number>();
  const metrics = countingMetrics(metricValues);
  const http =
    options.http ?? createInstrumentedHttpClient(fastHttp, { metrics, logger: quietLogger }).http;
  return runPoll(
    {
      http,
      producer: options.producer ?? producer,
      syncState: new SyncStateRepository(documentClient, options.syncStateTable),
      dlq: new DlqPublisher(producer, options.dlqTopic),
      // The known ids belong with their sync-state: each label's own bucket (see resources()).
      ids: new S3StagingStore(s3, options.syncStateTable.replace(/-sync-state$/, '')),
      logger: quietLogger,
      metrics,
      now: () => new Date(),
      remainingTimeMs: options.remainingTimeMs ?? (() => 290_000),
    },
    {
      source,
      baseUrl: mock.url,
      topic: options.topic,
      settings: {
        pageSize: options.pageSize ?? pipeline.poller.pageSize,
        overlapSeconds: pipeline.poller.overlapSeconds,
        deadlineMarginMs: pipeline.poller.deadlineMarginMs,
        sendBatchSize: pipeline.poller.sendBatchSize,
        maxClockSkewSeconds: pipeline.poller.maxClockSkewSeconds,
      },
      event: options.event ?? { source: 'aws.events', 'detail-type': 'Scheduled Event' },
    },
  );
}

/** A just-created topic may briefly answer "not the leader": ask again, a few times. */
async function fetchOffsetsOnceLeadersAreKnown(admin: Admin, topic: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if (attempt >= 20 || !(error instanceof Error) || !/leader/i.test(error.message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Every message on `topic`: the high watermarks say how many to wait for. */
async function readTopic(topic: string): Promise<KafkaMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await fetchOffsetsOnceLeadersAreKnown(admin, topic);
  await admin.disconnect();
  const total = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  if (total === 0) return [];
  const consumer = kafka.consumer({ groupId: `${prefix}-reader-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const messages: KafkaMessage[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          messages.push(...batch.messages);
          if (messages.length >= total) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return messages;
}

async function envelopesOn(topic: string): Promise<Envelope[]> {
  const messages = await readTopic(topic);
  return messages.map((message) => {
    const envelope = EnvelopeSchema.parse(JSON.parse(String(message.value)));
    expect(String(message.key)).toBe(envelope.payload.id);
    return envelope;
  });
}

async function admin(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) {
  const response = await fetch(`${mock.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body), // undefined without a body
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

function expectOnePerRecord(envelopes: Envelope[], expected: number): void {
  const ids = new Set(envelopes.map((e) => e.payload.id));
  expect(envelopes).toHaveLength(expected);
  expect(ids.size).toBe(expected);
}

beforeAll(async () => {
  applyLocalStackEnv();
  kafka = await createKafka(parseEnv(KafkaEnvSchema));
  producer = createProducer(kafka);
  await producer.connect();
  documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  s3 = new S3Client({ forcePathStyle: true });
  main = await resources('main');
  // Last, so that nothing after it can fail and leave the server running.
  mock = await startMockApiServer({
    seed: 42,
    customers: CUSTOMERS,
    products: PRODUCTS,
    driftPerMinute: 0,
    logger: new Logger({ serviceName: 'mock-apis', logLevel: 'WARN' }),
  });
  return async () => {
    await producer.disconnect();
    await mock.close();
  };
});

describe('pollers on the local stack', () => {
  it('full sync puts exactly one message per record on each topic (throughput printed)', async () => {
    const started = performance.now();
    const [crm, inventory] = await Promise.all([
      poll(sources.crm, {
        syncStateTable: main.syncStateTable,
        topic: main.customerTopic,
        dlqTopic: main.dlqTopic,
      }),
      poll(sources.inventory, {
        syncStateTable: main.syncStateTable,
        topic: main.productTopic,
        dlqTopic: main.dlqTopic,
      }),
    ]);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `[pollers] full sync of ${CUSTOMERS + PRODUCTS} records (API → acked in Kafka, both pollers in parallel): ` +
        `${seconds.toFixed(2)} s, ${Math.round((CUSTOMERS + PRODUCTS) / seconds)} records/s`,
    );
    expect(crm).toMatchObject({
      status: 'complete',
      syncType: 'FULL',
      published: CUSTOMERS,
      invalid: 0,
    });
    expect(inventory).toMatchObject({
      status: 'complete',
      syncType: 'FULL',
      published: PRODUCTS,
      invalid: 0,
    });

    const customers = await envelopesOn(main.customerTopic);
    expectOnePerRecord(customers, CUSTOMERS);
    expect(customers.every((e) => e.eventType === 'CUSTOMER' && e.syncType === 'FULL')).toBe(true);
    const products = await envelopesOn(main.productTopic);
    expectOnePerRecord(products, PRODUCTS);
    expect(products.every((e) => e.eventType === 'PRODUCT')).toBe(true);

    const state = await new SyncStateRepository(documentClient, main.syncStateTable).read('crm');
    const maxUpdatedAt = customers
      .map((e) => e.payload.updatedAt)
      .sort()
      .at(-1);
    expect(state?.watermark).toBe(maxUpdatedAt);
    expect(state?.cursor).toBeUndefined();
  });

  it('after mutating 100 records, an incremental run publishes those plus the overlap and nothing else', async () => {
    const repository = new SyncStateRepository(documentClient, main.syncStateTable);
    const before = await repository.read('crm');
    expect(before?.watermark).toBeDefined();
    const { ids } = (await admin('POST', '/admin/mutate', { entity: 'customers', count: 100 })) as {
      ids: string[];
    };
    expect(new Set(ids).size).toBe(100);
    const run = await resources('incremental');

    const result = await poll(sources.crm, {
      syncStateTable: main.syncStateTable,
      topic: run.customerTopic,
      dlqTopic: run.dlqTopic,
    });

    expect(result).toMatchObject({ status: 'complete', syncType: 'INCREMENTAL' });
    const envelopes = await envelopesOn(run.customerTopic);
    const published = new Set(envelopes.map((e) => e.payload.id));
    for (const id of ids) expect(published.has(id)).toBe(true);
    const overlapStart =
      Date.parse(before?.watermark ?? '') - pipeline.poller.overlapSeconds * 1000;
    const extras = envelopes.filter((e) => !ids.includes(e.payload.id));
    for (const extra of extras)
      expect(Date.parse(extra.payload.updatedAt)).toBeGreaterThanOrEqual(overlapStart);
    console.log(
      `[pollers] incremental after 100 mutations: ${envelopes.length} published (${extras.length} from the overlap)`,
    );
    expect(envelopes.every((e) => e.syncType === 'INCREMENTAL')).toBe(true);
    expect((await repository.read('crm'))?.watermark).toBe(
      envelopes
        .map((e) => e.payload.updatedAt)
        .sort()
        .at(-1),
    );
  });

  it('a forced full resync republishes everything', async () => {
    const run = await resources('resync');
    const result = await poll(sources.inventory, {
      syncStateTable: main.syncStateTable,
      topic: run.productTopic,
      dlqTopic: run.dlqTopic,
      event: { mode: 'full' },
    });
    expect(result).toMatchObject({ status: 'complete', syncType: 'RESYNC' });
    const envelopes = await envelopesOn(run.productTopic);
    expectOnePerRecord(envelopes, PRODUCTS);
    expect(envelopes.every((e) => e.syncType === 'RESYNC')).toBe(true);
  });

  it('a poller stopped by its deadline resumes from its cursor and the union covers every record', async () => {
    const run = await resources('deadline');
    let checks = 0;
    const first = await poll(sources.crm, {
      syncStateTable: run.syncStateTable,
      topic: run.customerTopic,
      dlqTopic: run.dlqTopic,
      // Four pages, then "less than the margin left".
      remainingTimeMs: () => (++checks <= 4 ? 290_000 : pipeline.poller.deadlineMarginMs - 1),
    });
    expect(first).toMatchObject({ status: 'partial', pages: 4 });
    const saved = await new SyncStateRepository(documentClient, run.syncStateTable).read('crm');
    expect(saved?.cursor).toBeDefined();
    expect(saved?.watermark).toBeUndefined();

    const second = await poll(sources.crm, {
      syncStateTable: run.syncStateTable,
      topic: run.customerTopic,
      dlqTopic: run.dlqTopic,
    });
    expect(second).toMatchObject({ status: 'complete', syncType: 'FULL', resumed: true });
    const envelopes = await envelopesOn(run.customerTopic);
    // Mutated records moved to the end of the order; each is still read exactly once.
    expectOnePerRecord(envelopes, CUSTOMERS);
    expect(first.published + second.published).toBe(CUSTOMERS);
  });

  it('while a run has a saved cursor a manual resync is refused; a cursor the API rejects restarts the run', async () => {
    const run = await resources('cursor');
    const repository = new SyncStateRepository(documentClient, run.syncStateTable);
    let checks = 0;
    const first = await poll(sources.crm, {
      syncStateTable: run.syncStateTable,
      topic: run.customerTopic,
      dlqTopic: run.dlqTopic,
      remainingTimeMs: () => (++checks <= 2 ? 290_000 : pipeline.poller.deadlineMarginMs - 1),
    });
    expect(first).toMatchObject({ status: 'partial', pages: 2 });

    const refused = await poll(sources.crm, {
      syncStateTable: run.syncStateTable,
      topic: run.customerTopic,
      dlqTopic: run.dlqTopic,
      event: { since: new Date().toISOString() },
    });
    expect(refused).toMatchObject({ status: 'failed', pages: 0 });
    expect(refused.reason).toMatch(/scheduled sync is in progress.*retry later/);

    // The mock signs its cursors: a tampered one is answered 400, like an expired one.
    const saved = await repository.read('crm');
    expect(saved?.cursor).toBeDefined();
    await repository.saveCursor(saved, 'crm', {
      cursor: `${saved?.cursor ?? ''}x`,
      syncType: saved?.cursorSyncType ?? 'FULL',
      runStartedAt: saved?.runStartedAt ?? new Date().toISOString(),
    });

    const metrics = new Map<string, number>();
    const restarted = await poll(sources.crm, {
      syncStateTable: run.syncStateTable,
      topic: run.customerTopic,
      dlqTopic: run.dlqTopic,
      metrics,
    });
    expect(restarted).toMatchObject({
      status: 'complete',
      syncType: 'FULL',
      resumed: true,
      published: CUSTOMERS,
    });
    expect(metrics.get(metricNames.cursorReset)).toBe(1);
    const state = await repository.read('crm');
    expect(state?.cursor).toBeUndefined();
    expect(state?.watermark).toBeDefined();
    const ids = new Set((await envelopesOn(run.customerTopic)).map((e) => e.payload.id));
    expect(ids.size).toBe(CUSTOMERS);
  });

  it('completes a full sync while the CRM answers ~30 % 500s and 429s', async () => {
    const run = await resources('flaky');
    await admin('PUT', '/admin/faults', {
      crm: { rateLimitRate: 0.15, retryAfterSeconds: 0, errorRate: 0.18, status: 500 },
    });
    const metrics = new Map<string, number>();
    try {
      const result = await poll(sources.crm, {
        syncStateTable: run.syncStateTable,
        topic: run.customerTopic,
        dlqTopic: run.dlqTopic,
        metrics,
        // Small pages: 100 requests, so the fault mix really shows up.
        pageSize: 100,
      });
      expect(result).toMatchObject({ status: 'complete', published: CUSTOMERS });
    } finally {
      await admin('DELETE', '/admin/faults');
    }
    console.log(
      `[pollers] flaky CRM: ${metrics.get(metricNames.apiRetries)} retries, ${metrics.get(metricNames.apiErrors)} failed attempts`,
    );
    expect(metrics.get(metricNames.apiRetries)).toBeGreaterThan(0);
    expectOnePerRecord(await envelopesOn(run.customerTopic), CUSTOMERS);
  });

  it('an outage opens the breaker, later runs fail fast, and the watermark stays', async () => {
    const repository = new SyncStateRepository(documentClient, main.syncStateTable);
    const before = await repository.read('crm');
    const metrics = new Map<string, number>();
    // One breaker for the "warm container": it outlives single invocations, as in Lambda.
    const { http, breaker } = createInstrumentedHttpClient(
      { ...fastHttp, breakerThreshold: 3 },
      { metrics: countingMetrics(metrics), logger: quietLogger },
    );
    await admin('PUT', '/admin/faults', {
      crm: { outageUntil: new Date(Date.now() + 10 * 60_000).toISOString() },
    });
    const run = await resources('outage');
    const results: PollResult[] = [];
    try {
      for (let invocation = 0; invocation < 4; invocation++) {
        results.push(
          await poll(sources.crm, {
            syncStateTable: main.syncStateTable,
            topic: run.customerTopic,
            dlqTopic: run.dlqTopic,
            http,
            metrics,
            // The outage's Retry-After (minutes) is past this deadline: each run gives up at once.
            remainingTimeMs: () => 30_000,
          }),
        );
      }
    } finally {
      await admin('DELETE', '/admin/faults');
    }
    expect(results.every((r) => r.status === 'failed' && r.published === 0)).toBe(true);
    expect(results.at(-1)?.reason).toMatch(/circuit breaker is open/);
    expect(breaker.state).toBe('open');
    expect(metrics.get(metricNames.circuitOpened)).toBe(1);
    const after = await repository.read('crm');
    expect(after?.watermark).toBe(before?.watermark);
    expect(after?.version).toBe(before?.version);
    expect(await readTopic(run.customerTopic)).toHaveLength(0);
  });

  it('sends corrupted records to analytics_dlq with a reason and publishes the rest', async () => {
    const { ids } = (await admin('POST', '/admin/corrupt', { entity: 'customers', count: 7 })) as {
      ids: string[];
    };
    const run = await resources('corrupt');
    const result = await poll(sources.crm, {
      syncStateTable: main.syncStateTable,
      topic: run.customerTopic,
      dlqTopic: run.dlqTopic,
    });
    expect(result).toMatchObject({ status: 'complete', syncType: 'INCREMENTAL', invalid: 7 });

    const dlq = (await readTopic(run.dlqTopic)).map((m) =>
      DlqMessageSchema.parse(JSON.parse(String(m.value))),
    );
    expect(dlq).toHaveLength(7);
    expect(dlq.every((m) => m.stage === 'poll' && m.origin.source === 'crm')).toBe(true);
    expect(dlq.every((m) => /email/.test(m.reason))).toBe(true);
    const dlqIds = dlq.map((m) => (JSON.parse(m.record ?? '{}') as { id: string }).id).sort();
    expect(dlqIds).toEqual([...ids].sort());
    const published = await envelopesOn(run.customerTopic);
    expect(published.some((e) => ids.includes(e.payload.id))).toBe(false);
  });

  it('the poll-inventory Lambda wiring (env, middy, Powertools, lazy producer) runs a poll end to end', async () => {
    const run = await resources('lambda');
    const lambda = await createPollerLambda('inventory', {
      ...process.env,
      SOURCE_API_BASE_URL: mock.url,
      SYNC_STATE_TABLE: run.syncStateTable,
      STAGING_BUCKET: run.stagingBucket,
      CUSTOMER_TOPIC: run.customerTopic,
      PRODUCT_TOPIC: run.productTopic,
      DLQ_TOPIC: run.dlqTopic,
      POWERTOOLS_SERVICE_NAME: 'poll-inventory-test',
    });
    const context = {
      functionName: 'poll-inventory',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:poll-inventory',
      memoryLimitInMB: '512',
      awsRequestId: randomUUID(),
      logGroupName: '/aws/lambda/poll-inventory',
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: false,
      getRemainingTimeInMillis: () => 290_000,
    } as unknown as Context;
    try {
      const result = await lambda.handler(
        { source: 'aws.events', 'detail-type': 'Scheduled Event' },
        context,
      );
      expect(result).toMatchObject({ status: 'complete', syncType: 'FULL', published: PRODUCTS });
      expectOnePerRecord(await envelopesOn(run.productTopic), PRODUCTS);
      await expect(lambda.handler({ mode: 'ful' }, context)).rejects.toBeInstanceOf(
        InvalidPollRequestError,
      );
    } finally {
      await lambda.producer.disconnect();
    }
  });

  // Last: it deletes products that the tests above count.
  it('soft deletes reach Kafka as tombstones (key = id, no value, op=delete); a full resync no longer lists them', async () => {
    const body = { entity: 'products', count: 9 };
    const { ids } = (await admin('POST', '/admin/delete', body)) as { ids: string[] };
    const run = await resources('deletes');
    const options = { syncStateTable: main.syncStateTable, dlqTopic: run.dlqTopic };
    const incremental = await poll(sources.inventory, { ...options, topic: run.productTopic });
    expect(incremental).toMatchObject({ status: 'complete', syncType: 'INCREMENTAL', invalid: 0 });
    const tombstones = (await readTopic(run.productTopic)).filter((m) => m.value === null);
    expect(tombstones.map((m) => String(m.key)).sort()).toEqual([...ids].sort());
    for (const { headers } of tombstones) {
      const decoded = Object.fromEntries(
        Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)]),
      );
      expect(TombstoneHeadersSchema.parse(decoded)).toMatchObject({
        op: 'delete',
        eventType: 'PRODUCT',
        syncType: 'INCREMENTAL',
      });
    }
    // The run's (empty) customer topic takes the resync: counted on its own.
    const full = await poll(sources.inventory, {
      ...options,
      topic: run.customerTopic,
      event: { mode: 'full' },
    });
    // Soft-deleted already: no hard delete either.
    expect(full).toMatchObject({
      status: 'complete',
      published: PRODUCTS - ids.length,
      deleted: 0,
    });
    const listed = (await envelopesOn(run.customerTopic)).map((e) => e.payload.id);
    expect(listed.filter((id) => ids.includes(id))).toEqual([]);
  });

  // Last: it hard-deletes customers from the mock that the tests above count.
  it('full resyncs delete exactly the hard-deleted customers: interrupted, resumed, while records change, and retried after a crash', async () => {
    const run = await resources('hard');
    const options = {
      syncStateTable: run.syncStateTable,
      topic: run.customerTopic,
      dlqTopic: run.dlqTopic,
    };
    const hardDelete = async (count: number) =>
      (
        (await admin('POST', '/admin/delete', { entity: 'customers', count, hard: true })) as {
          ids: string[];
        }
      ).ids;
    const tombstones = async () =>
      (await readTopic(run.customerTopic))
        .filter((message) => message.value === null)
        .map(({ key, headers }) => {
          const flat = Object.fromEntries(
            Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)]),
          );
          return { id: String(key), ...TombstoneHeadersSchema.parse(flat) };
        });
    expect(await poll(sources.crm, options)).toMatchObject({ status: 'complete', deleted: 0 });

    const before = await hardDelete(40);
    let checks = 0;
    const started = Date.now();
    const first = await poll(sources.crm, {
      ...options,
      event: { mode: 'full' },
      remainingTimeMs: () => (++checks <= 8 ? 290_000 : pipeline.poller.deadlineMarginMs - 1),
    });
    expect(first).toMatchObject({ status: 'partial', deleted: 0 });
    // While the resync is interrupted: records change (read ones and unread ones move to the
    // end), and more are hard-deleted, some already listed by this run.
    await admin('POST', '/admin/mutate', { entity: 'customers', count: 300 });
    const during = await hardDelete(20);
    const soap = await fetch(`${mock.url}/crm/soap`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml', soapaction: `"${ADD_CUSTOMER_ACTION}"` },
      body: addCustomerRequestXml('Created Mid-Resync', 'created.mid.resync@example.com'),
    });
    const created = /<(?:\w+:)?id>([^<]+)</.exec(await soap.text())?.[1];
    expect(created).toMatch(/^cust-/);
    const resumed = await poll(sources.crm, options);
    expect(resumed).toMatchObject({ status: 'complete', syncType: 'RESYNC', resumed: true });
    const deletedFirst = await tombstones();
    const ids = deletedFirst.map((tombstone) => tombstone.id);
    // Every delete is a record the source no longer has: none wrongly deleted.
    expect(ids.every((id) => before.includes(id) || during.includes(id))).toBe(true);
    for (const id of before) expect(ids).toContain(id);
    expect(ids).not.toContain(created);
    expect(new Set(ids).size).toBe(ids.length);
    expect(resumed.deleted).toBe(ids.length);
    for (const tombstone of deletedFirst) {
      expect(tombstone).toMatchObject({ op: 'delete', eventType: 'CUSTOMER', syncType: 'RESYNC' });
      // The run's start (the interrupted invocation's), whichever invocation completed it.
      expect(Date.parse(tombstone.deletedAt)).toBeGreaterThanOrEqual(started);
      expect(Date.parse(tombstone.deletedAt)).toBeLessThan(started + 5_000);
    }

    // The next resync deletes the rest (listed by the first before they went), and crashes
    // right after publishing its tombstones: the retry publishes the same versions again.
    const sentBy = (crash: boolean, versions: string[] = []) => ({
      versions,
      send: async (record: Parameters<Producer['send']>[0]) => {
        const sent = await producer.send(record);
        const deletes = record.messages.filter((message) => message.value === null);
        for (const { key, headers } of deletes)
          versions.push(`${String(key)}#${String(headers?.deletedAt)}`);
        if (crash && deletes.length > 0) throw new Error('crash');
        return sent;
      },
    });
    const crashing = sentBy(true);
    await expect(
      poll(sources.crm, { ...options, event: { mode: 'full' }, producer: crashing }),
    ).rejects.toThrow('crash');
    const retrying = sentBy(false);
    const retried = await poll(sources.crm, { ...options, producer: retrying });
    expect(retried).toMatchObject({ status: 'complete', syncType: 'RESYNC', resumed: true });
    const rest = during.filter((id) => !ids.includes(id));
    expect(crashing.versions.map((version) => version.split('#')[0]).sort()).toEqual(rest.sort());
    expect(retrying.versions.sort()).toEqual(crashing.versions.sort());
    expect((await tombstones()).length).toBe(ids.length + 2 * rest.length);
    console.log(
      `[pollers] hard deletes: ${ids.length} by the interrupted resync (${before.length} before it, ${during.length} while it ran), ${rest.length} by the next, twice (crash + retry)`,
    );
    // Nothing more to delete: the snapshot is the source's current ids.
    const again = await poll(sources.crm, { ...options, event: { mode: 'full' } });
    expect(again).toMatchObject({ status: 'complete', deleted: 0 });
  });
});
