import { Logger } from '@aws-lambda-powertools/logger';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Kafka, Producer } from 'kafkajs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localCredentials } from '../../localstack/stack/endpoints';
import { provisionPipelineResources } from '../../localstack/stack/provision';
import { contentHash } from '../../lambdas/shared/content-hash';
import { DlqMessageSchema, DlqPublisher } from '../../lambdas/shared/dlq';
import { recordVersionKey } from '../../lambdas/shared/envelope';
import { createKafka, createProducer, KafkaEnvSchema } from '../../lambdas/shared/kafka';
import { mergeConsumerMetrics, pipeline } from '../../lambdas/shared/pipeline';
import { countAwsSdkRequests, RequestTally } from '../../bench/instrumentation/counters';
import { S3StagingStore, StagedBatchSchema, keyAt } from '../../lambdas/shared/staging-format';
import type { KafkaBatchResponse } from '../../lambdas/merge-consumer/process-event';
import { StagingClaimPersistenceLayer } from '../../lambdas/merge-consumer/claim-store';
import { parseMskEvent } from '../../lambdas/merge-consumer/msk-event';
import type { MergeConsumerDeps } from '../../lambdas/merge-consumer/process-event';
import { processMskEvent } from '../../lambdas/merge-consumer/process-event';
import { crashPoints, crashingStores } from '../../lambdas/merge-consumer/test-support/crash';
import type { TestRecord } from '../../lambdas/merge-consumer/test-support/msk-event';
import {
  customer,
  customerEnvelope,
  mskEvent,
  product,
  productEnvelope,
  tombstone,
} from '../../lambdas/merge-consumer/test-support/msk-event';
import type { StackEndpoints } from '../support/local-stack';
import { applyLocalStackEnv, localStack } from '../support/local-stack';

const suffix = randomUUID().slice(0, 8);
const dlqTopic = `merge-it-dlq-${suffix}`;
let endpoints: StackEndpoints;
let dynamodb: DynamoDBClient;
let s3: S3Client;
let kafka: Kafka;
let producer: Producer;

/** Fresh table and bucket per test: batch ids depend only on offsets, which tests reuse. */
interface Resources {
  table: string;
  bucket: string;
  claims: StagingClaimPersistenceLayer;
  staging: S3StagingStore;
}
let resources: Resources;

/** Requests and request units of the calls made through `dynamodb`, as the bench counts them. */
const tally = new RequestTally();
/** What `tally` counted while `run` ran: requests by operation, WRU and RRU. */
async function counted(run: () => Promise<unknown>) {
  const before = tally.snapshot();
  await run();
  const delta = Object.entries(tally.snapshot())
    .map(([key, value]) => [key.replace(/^dynamodb\./, ''), value - (before[key] ?? 0)] as const)
    .filter(([, value]) => value > 0);
  const sum = (suffix: string): number =>
    delta.filter(([key]) => key.endsWith(suffix)).reduce((total, [, value]) => total + value, 0);
  return {
    requests: Object.fromEntries(delta.filter(([key]) => !key.includes('.'))),
    wru: sum('.wru'),
    rru: sum('.rru'),
  };
}

beforeAll(async () => {
  endpoints = localStack();
  applyLocalStackEnv();
  dynamodb = new DynamoDBClient({
    endpoint: endpoints.dynamodbEndpoint,
    region: endpoints.region,
    credentials: localCredentials,
  });
  countAwsSdkRequests(dynamodb, tally);
  s3 = new S3Client({
    endpoint: endpoints.s3Endpoint,
    region: endpoints.region,
    credentials: localCredentials,
    forcePathStyle: true,
  });
  kafka = await createKafka(
    KafkaEnvSchema.parse({
      KAFKA_BROKERS: endpoints.kafkaBrokers,
      KAFKA_CLIENT_ID: 'merge-consumer-it',
    }),
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
  const id = randomUUID().slice(0, 8);
  const names = await provisionPipelineResources(endpoints, {
    customerTopic: `merge-it-customers-${suffix}`,
    productTopic: `merge-it-products-${suffix}`,
    dlqTopic,
    idempotencyTable: `merge-it-idempotency-${id}`,
    syncStateTable: `merge-it-sync-state-${suffix}`,
    stagingBucket: `merge-it-staging-${id}`,
  });
  resources = {
    table: names.idempotencyTable,
    bucket: names.stagingBucket,
    claims: new StagingClaimPersistenceLayer({
      tableName: names.idempotencyTable,
      client: dynamodb,
    }),
    staging: new S3StagingStore(s3, names.stagingBucket),
  };
});

function deps(overrides: Partial<MergeConsumerDeps> = {}): MergeConsumerDeps {
  return {
    claims: resources.claims,
    staging: resources.staging,
    dlq: new DlqPublisher(producer, dlqTopic),
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: { addMetric: () => undefined },
    concurrency: 16,
    now: () => new Date(),
    ...overrides,
  };
}

function run(
  records: readonly TestRecord[],
  overrides: Partial<MergeConsumerDeps> = {},
): Promise<KafkaBatchResponse> {
  return processMskEvent(mskEvent(records), deps(overrides));
}

/** Customers on two partitions and products on a third, distinct ids, offsets from `base`. */
function records(count: number, base = 100): TestRecord[] {
  return Array.from({ length: count }, (_, index) => {
    const offset = base + index;
    return index % 4 === 3
      ? {
          topic: 'inventory_data',
          partition: 2,
          offset,
          value: productEnvelope(product(`p-${offset}`, { stockQuantity: offset })),
        }
      : {
          topic: 'customer_data',
          partition: index % 2,
          offset,
          value: customerEnvelope(customer(`c-${offset}`)),
        };
  });
}

function versionKeys(testRecords: readonly TestRecord[]): string[] {
  return parseMskEvent(mskEvent(testRecords)).valid.map((record) => record.versionKey);
}

async function stagedObjects(
  prefix = 'staging/',
): Promise<{ key: string; body: ReturnType<typeof StagedBatchSchema.parse> }[]> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: resources.bucket, Prefix: prefix }),
  );
  return Promise.all(
    (listed.Contents ?? []).map(async ({ Key }) => {
      const object = await s3.send(new GetObjectCommand({ Bucket: resources.bucket, Key: Key! }));
      return {
        key: Key!,
        body: StagedBatchSchema.parse(JSON.parse(await object.Body!.transformToString())),
      };
    }),
  );
}

/** How many times each record version is held across all staged objects, by their content. */
async function stagedVersionCounts(prefix?: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const add = (key: string): void => void counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const { body } of await stagedObjects(prefix)) {
    for (const payload of body.customers)
      add(recordVersionKey({ eventType: 'CUSTOMER', payload, contentHash: contentHash(payload) }));
    for (const payload of body.products)
      add(recordVersionKey({ eventType: 'PRODUCT', payload, contentHash: contentHash(payload) }));
    for (const [eventType, deleted] of [
      ['CUSTOMER', body.deletedCustomers],
      ['PRODUCT', body.deletedProducts],
    ] as const)
      for (const payload of deleted ?? [])
        add(recordVersionKey({ eventType, payload, contentHash: contentHash(payload) }));
  }
  return counts;
}

/** `prefix` '' counts every batch object of the bucket (staging/, delivered/ and dlq/). */
async function expectStagedExactlyOnce(
  expected: readonly string[],
  prefix?: string,
): Promise<void> {
  const counts = await stagedVersionCounts(prefix);
  expect([...counts.keys()].sort()).toEqual([...expected].sort());
  expect([...counts.entries()].filter(([, count]) => count !== 1)).toEqual([]);
  // Each version's claim is INPROGRESS and names an object that holds it (wherever flush moved it):
  // that is its completion (docs/DESIGN.md).
  const objects = await stagedObjects(prefix);
  const holders = await Promise.all(
    expected.map(async (version) => {
      const { Item } = await dynamodb.send(
        new GetItemCommand({
          TableName: resources.table,
          Key: { id: { S: resources.claims.idempotencyKeyOf(version) } },
          ConsistentRead: true,
        }),
      );
      const batchFile = Item?.stagingKey?.S?.split('/').pop();
      const holder = objects.find(({ key }) => batchFile !== undefined && key.endsWith(batchFile));
      return {
        status: Item?.status?.S,
        holds: holder?.body.recordVersions?.includes(version) ?? false,
      };
    }),
  );
  expect(holders.filter(({ status, holds }) => status !== 'INPROGRESS' || !holds)).toEqual([]);
}

describe('merge-consumer against DynamoDB Local, S3Mock and Kafka', () => {
  it('stages a batch as exactly one object with the right content', async () => {
    const batch = records(40);
    const started = performance.now();
    const response = await run(batch);
    const elapsedMs = performance.now() - started;
    expect(response).toEqual({ batchItemFailures: [] });
    const objects = await stagedObjects();
    expect(objects).toHaveLength(1);
    const [{ key, body }] = objects as [(typeof objects)[number]];
    expect(key).toBe(`staging/2026/01/15/${body.batchId}.json`);
    expect(body.customers).toHaveLength(30);
    expect(body.products).toHaveLength(10);
    expect(body.products.find((item) => item.id === 'p-103')?.stockQuantity).toBe(103);
    expect(body.offsets).toEqual(
      expect.arrayContaining([
        { topic: 'customer_data', partition: 0, firstOffset: '100', lastOffset: '138' },
        { topic: 'customer_data', partition: 1, firstOffset: '101', lastOffset: '137' },
        { topic: 'inventory_data', partition: 2, firstOffset: '103', lastOffset: '139' },
      ]),
    );
    await expectStagedExactlyOnce(versionKeys(batch));
    console.log(
      `[merge-consumer] 40 records read, claimed and staged in ${elapsedMs.toFixed(0)} ms`,
    );
  });

  it('stages tombstones as deletes, once: a delete polled again is a duplicate', async () => {
    const updates = records(8);
    const deletes = [
      tombstone({ topic: 'customer_data', partition: 0, offset: 200 }, 'CUSTOMER', 'c-100'),
      tombstone({ topic: 'inventory_data', partition: 2, offset: 201 }, 'PRODUCT', 'p-103'),
    ];
    expect(await run(updates)).toEqual({ batchItemFailures: [] });
    expect(await run(deletes)).toEqual({ batchItemFailures: [] });
    const again = deletes.map((record) => ({ ...record, offset: record.offset + 100 }));
    const metrics = new Map<string, number>();
    const addMetric = (name: string, _unit: unknown, value: number) =>
      void metrics.set(name, value);
    expect(await run(again, { metrics: { addMetric } })).toEqual({ batchItemFailures: [] });
    expect(metrics.get(mergeConsumerMetrics.recordsDuplicate)).toBe(2);
    const withDeletes = (await stagedObjects()).filter(({ body }) => body.deletedCustomers?.length);
    expect(withDeletes.map(({ body }) => [body.deletedCustomers, body.deletedProducts])).toEqual([
      [
        [{ id: 'c-100', deletedAt: '2026-01-15T09:30:00.000Z' }],
        [{ id: 'p-103', deletedAt: '2026-01-15T09:30:00.000Z' }],
      ],
    ]);
    await expectStagedExactlyOnce(versionKeys([...updates, ...deletes]));
  });

  it('writes put-if-absent on the real S3 server: a second write of the same key is refused (412)', async () => {
    const batch = StagedBatchSchema.parse({
      batchId: 'b',
      createdAt: new Date().toISOString(),
      customers: [],
      products: [],
      offsets: [],
    });
    const key = 'staging/2026/01/15/put-if-absent.json';
    await expect(
      resources.staging.putIfAbsent(key, { ...batch, recordVersions: ['first'] }),
    ).resolves.toBe('created');
    await expect(
      resources.staging.putIfAbsent(key, { ...batch, recordVersions: ['second'] }),
    ).resolves.toBe('exists');
    const stored = StagedBatchSchema.parse(JSON.parse((await resources.staging.get(key))!));
    expect(stored.recordVersions).toEqual(['first']);
  });

  it('commits a full batch of pipeline.mergeConsumer.batchSize records (time printed, not asserted)', async () => {
    const batch = records(pipeline.mergeConsumer.batchSize, 10_000);
    const started = performance.now();
    expect(await run(batch)).toEqual({ batchItemFailures: [] });
    const elapsedMs = performance.now() - started;
    await expectStagedExactlyOnce(versionKeys(batch));
    console.log(
      `[merge-consumer] ${batch.length} records read, claimed and staged in ${elapsedMs.toFixed(0)} ms (concurrency 16)`,
    );
  });

  it('costs DynamoDB request units per record version as DESIGN.md says (figures printed)', async () => {
    const batch = records(pipeline.mergeConsumer.batchSize, 20_000);
    let response: unknown;
    const fresh = await counted(async () => (response = await run(batch)));
    expect(response).toEqual({ batchItemFailures: [] });
    const again = records(pipeline.mergeConsumer.batchSize, 30_000).map((record, index) => ({
      ...record,
      value: batch[index]!.value,
    }));
    const resync = await counted(async () => (response = await run(again)));
    expect(response).toEqual({ batchItemFailures: [] });
    await expectStagedExactlyOnce(versionKeys(batch), '');
    const per = (units: number): string => (units / batch.length).toFixed(3);
    console.log(
      `[merge-consumer] ${batch.length} new versions: ${JSON.stringify(fresh.requests)}, ` +
        `${per(fresh.wru)} WRU and ${per(fresh.rru)} RRU per version; the same ${batch.length} ` +
        `again (resync): ${JSON.stringify(resync.requests)}, ${per(resync.wru)} WRU and ` +
        `${per(resync.rru)} RRU per version`,
    );
    // docs/DESIGN.md: one claim put per new version, and a resync of unchanged data writes nothing.
    expect(fresh.wru / batch.length).toBeLessThanOrEqual(1.1);
    expect(resync.wru).toBe(0);
    expect(resync.rru / batch.length).toBeLessThanOrEqual(1);
  });

  it('stages nothing new and reports no failures when the same batch is delivered again', async () => {
    const batch = records(20);
    await run(batch);
    const duplicates: number[] = [];
    const response = await run(batch, {
      metrics: {
        addMetric: (name, _unit, value) => {
          if (name === 'RecordsDuplicate') duplicates.push(value);
        },
      },
    });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await stagedObjects()).toHaveLength(1);
    expect(duplicates).toEqual([20]);
    await expectStagedExactlyOnce(versionKeys(batch));
  });

  describe.each(crashPoints)('crash %s, then retry', (point) => {
    it('with the same boundaries: every record staged exactly once', async () => {
      const batch = records(30);
      const crashing = crashingStores(resources, point);
      const crashed = await run(batch, { claims: crashing.claims, staging: crashing.staging });
      expect(crashing.crashed()).toBe(true);
      expect(crashed.batchItemFailures).toHaveLength(3);
      const retry = await run(batch);
      expect(retry).toEqual({ batchItemFailures: [] });
      expect(await stagedObjects()).toHaveLength(1);
      await expectStagedExactlyOnce(versionKeys(batch));
    });

    it('as bisected halves: every record staged exactly once across objects', async () => {
      const batch = records(30);
      const crashing = crashingStores(resources, point);
      await run(batch, { claims: crashing.claims, staging: crashing.staging });
      expect(crashing.crashed()).toBe(true);
      expect(await run(batch.slice(0, 15))).toEqual({ batchItemFailures: [] });
      expect(await run(batch.slice(15))).toEqual({ batchItemFailures: [] });
      expect(await stagedObjects()).toHaveLength(point === 'after-staging' ? 1 : 2);
      await expectStagedExactlyOnce(versionKeys(batch));
      // And the original boundaries once more (Lambda retrying the full batch later): still once.
      expect(await run(batch)).toEqual({ batchItemFailures: [] });
      await expectStagedExactlyOnce(versionKeys(batch));
    });
  });

  /** What flush does to a staged object: copy it to `to`, then delete the staging copy. */
  async function flushMoves(stagingKey: string, to: string): Promise<void> {
    const Bucket = resources.bucket;
    await s3.send(
      new CopyObjectCommand({ Bucket, Key: to, CopySource: `${Bucket}/${stagingKey}` }),
    );
    await s3.send(new DeleteObjectCommand({ Bucket, Key: stagingKey }));
  }

  it.each(['delivered', 'dlq'] as const)(
    'crash after staging, flush moves the object (to %s/), bisected retries stage nothing twice',
    async (where) => {
      const batch = records(30);
      const crashing = crashingStores(resources, 'after-staging');
      await run(batch, { claims: crashing.claims, staging: crashing.staging });
      expect(crashing.crashed()).toBe(true);
      const staged = await stagedObjects();
      expect(staged).toHaveLength(1);
      const { key: stagingKey } = staged[0]!;
      await flushMoves(stagingKey, keyAt(stagingKey, where));
      expect(await stagedObjects()).toHaveLength(0);

      expect(await run(batch.slice(0, 15))).toEqual({ batchItemFailures: [] });
      expect(await run(batch.slice(15))).toEqual({ batchItemFailures: [] });
      expect(await run(batch)).toEqual({ batchItemFailures: [] });
      expect(await stagedObjects()).toHaveLength(0);
      await expectStagedExactlyOnce(versionKeys(batch), '');
    },
  );

  it('sends a poison message to the DLQ topic and stages the rest', async () => {
    const consumer = kafka.consumer({ groupId: `merge-it-dlq-reader-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
    const received: unknown[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => void received.push(JSON.parse(message.value!.toString())),
    });
    try {
      const good = records(10);
      const poisonValue = `{"messageId":"poison-${suffix}","eventType":"CUSTOMER"`;
      const batch: TestRecord[] = [
        ...good.slice(0, 5),
        { topic: 'customer_data', partition: 0, offset: 500, value: poisonValue },
        ...good.slice(5),
      ];
      const response = await run(batch);
      expect(response).toEqual({ batchItemFailures: [] });
      await expectStagedExactlyOnce(versionKeys(good));
      await expect
        .poll(() => received.length, { timeout: 30_000, interval: 200 })
        .toBeGreaterThanOrEqual(1);
      const message = DlqMessageSchema.parse(
        received.find((item) => JSON.stringify(item).includes(`poison-${suffix}`)),
      );
      expect(message).toMatchObject({
        stage: 'merge',
        reason: 'value is not JSON',
        origin: { topic: 'customer_data', partition: 0, offset: '500' },
        record: poisonValue,
      });
    } finally {
      await consumer.disconnect();
    }
  });

  it('wires the handler: env parsed once, real clients, partial batch response', async () => {
    Object.assign(process.env, {
      IDEMPOTENCY_TABLE: resources.table,
      STAGING_BUCKET: resources.bucket,
      DLQ_TOPIC: dlqTopic,
      POWERTOOLS_METRICS_NAMESPACE: 'EcomSync',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const { handler } = await import('../../lambdas/merge-consumer/handler');
    const batch = records(8, 900);
    const context = {
      functionName: 'merge-consumer',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:merge-consumer',
      memoryLimitInMB: '1024',
      awsRequestId: randomUUID(),
      logGroupName: '/aws/lambda/merge-consumer',
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => 60_000,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    const response = await handler(mskEvent(batch), context);
    expect(response).toEqual({ batchItemFailures: [] });
    await expectStagedExactlyOnce(versionKeys(batch));
  });
});
