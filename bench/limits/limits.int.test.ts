import { randomUUID } from 'node:crypto';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  customer,
  customerEnvelope,
  product,
  productEnvelope,
} from '../../lambdas/merge-consumer/test-support/msk-event';
import type { Envelope } from '../../lambdas/shared/envelope';
import { EnvelopeSchema } from '../../lambdas/shared/envelope';
import { createProducer } from '../../lambdas/shared/kafka';
import { pipeline } from '../../lambdas/shared/pipeline';
import { publishEnvelopes } from '../../lambdas/poller/run-poll';
import { localCredentials } from '../../localstack/stack/endpoints';
import { localStack } from '../../test/support/local-stack';
import { runPerRecordBaseline } from '../baseline/per-record-consumer';
import type { TopicMessage } from './kafka';
import { readTopics } from './kafka';
import { measureRawDynamodb } from './raw-dynamodb';

// Small counts: these prove the measurements count exactly; the figures are printed, never asserted.
describe('topic reader, scenario 4 limit and scenario 5 baseline on the local stack', () => {
  const endpoints = localStack();
  const suffix = randomUUID().slice(0, 8);
  const customerTopic = `bench-limits-customers-${suffix}`;
  const productTopic = `bench-limits-products-${suffix}`;
  const baselineTopic = `bench-limits-baseline-${suffix}`;
  const kafka = new Kafka({
    clientId: 'limits-test',
    brokers: [endpoints.kafkaBrokers],
    logLevel: logLevel.WARN,
  });
  const admin = kafka.admin();
  const dynamodb = new DynamoDBClient({
    endpoint: endpoints.dynamodbEndpoint,
    region: endpoints.region,
    credentials: localCredentials,
  });

  const customers = 1_000;
  const products = 1_000;
  /** The baseline's topic: unique versions, then some of them re-sent unchanged. */
  const baselineUnique = 250;
  const baselineResent = 50;

  const publish = async (topic: string, envelopes: readonly Envelope[]) => {
    const producer = createProducer(kafka);
    await producer.connect();
    await publishEnvelopes({ producer }, topic, envelopes, pipeline.poller.sendBatchSize);
    await producer.disconnect();
  };

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [customerTopic, productTopic, baselineTopic].map((topic) => ({
        topic,
        numPartitions: 3,
        replicationFactor: 1,
      })),
    });
    await publish(
      customerTopic,
      Array.from({ length: customers }, (_, index) => customerEnvelope(customer(`cust-${index}`))),
    );
    await publish(
      productTopic,
      Array.from({ length: products }, (_, index) => productEnvelope(product(`prod-${index}`))),
    );
    const unique = Array.from({ length: baselineUnique }, (_, index) =>
      index % 2 === 0
        ? customerEnvelope(customer(`cust-${index}`))
        : productEnvelope(product(`prod-${index}`)),
    );
    // A re-poll of unchanged records: new message ids, same record versions.
    const resent = Array.from({ length: baselineResent }, (_, index) =>
      index % 2 === 0
        ? customerEnvelope(customer(`cust-${index}`))
        : productEnvelope(product(`prod-${index}`)),
    );
    await publish(baselineTopic, [...unique, ...resent]);
  });

  afterAll(async () => {
    await admin
      .deleteTopics({ topics: [customerTopic, productTopic, baselineTopic] })
      .catch(() => undefined);
    await admin.disconnect();
    dynamodb.destroy();
  });

  let snapshot: TopicMessage[] = [];

  it('reads back every published message once, in partition order, up to the high watermark', async () => {
    snapshot = await readTopics(endpoints.kafkaBrokers, [customerTopic, productTopic]);

    expect(snapshot).toHaveLength(customers + products);
    const positions = new Set(snapshot.map((m) => `${m.topic}/${m.partition}/${m.offset}`));
    expect(positions.size).toBe(snapshot.length);
    const keys = new Set(snapshot.map((m) => m.key));
    expect(keys.size).toBe(customers + products);
    for (const message of snapshot) {
      const envelope = EnvelopeSchema.parse(JSON.parse(message.value.toString('utf8')));
      expect(envelope.payload.id).toBe(message.key);
    }
    const ordered = [...snapshot].sort(
      (a, b) =>
        a.topic.localeCompare(b.topic) ||
        a.partition - b.partition ||
        Number(a.offset) - Number(b.offset),
    );
    expect(snapshot).toEqual(ordered);
  });

  it('answers an empty list for topics without messages', async () => {
    const empty = `bench-limits-empty-${suffix}`;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: empty, numPartitions: 2, replicationFactor: 1 }],
    });
    try {
      await expect(readTopics(endpoints.kafkaBrokers, [empty])).resolves.toEqual([]);
    } finally {
      await admin.deleteTopics({ topics: [empty] });
    }
  });

  it('raw DynamoDB: every batched claim on fresh keys is accepted; the fastest level is the limit', async () => {
    const result = await measureRawDynamodb({
      endpoint: endpoints.dynamodbEndpoint,
      region: endpoints.region,
      items: 1_000,
      concurrencies: [1, 4],
    });
    console.log('raw dynamodb', JSON.stringify(result));

    const { byConcurrency, itemsPerSecond, concurrency } = result;
    expect(byConcurrency.map((run) => run.concurrency)).toEqual([1, 4]);
    // Fresh keys: nothing refused.
    expect(byConcurrency.map((run) => run.refused)).toEqual([0, 0]);
    const best = Math.max(...byConcurrency.map((run) => run.itemsPerSecond));
    expect(itemsPerSecond).toBe(best);
    expect(byConcurrency.find((run) => run.itemsPerSecond === best)?.concurrency).toBe(concurrency);
    expect(result.claimWritesPerSecond).toBe(best);
    const tables = (await dynamodb.send(new ListTablesCommand({}))).TableNames ?? [];
    expect(tables.filter((table) => table.startsWith('bench-raw-claims-'))).toEqual([]);
  });

  it('baseline: POSTs each unique version alone, skips re-sent ones, counts real requests', async () => {
    const records = baselineUnique + baselineResent;
    const result = await runPerRecordBaseline({ endpoints, topics: [baselineTopic], records });
    console.log('per-record baseline', result);

    expect(result.records).toBe(records);
    expect(result.duplicatesSkipped).toBe(baselineResent);
    expect(result.invalidSkipped).toBe(0);
    expect(result.analyticsUnique).toBe(baselineUnique);
    expect(result.analyticsStats).toMatchObject({
      payloads: baselineUnique,
      duplicatePayloads: 0,
      duplicateRecords: 0,
    });
    expect(result.requests.analyticsPosts).toBe(baselineUnique);
    expect(result.requests.dynamodb).toBeGreaterThanOrEqual(records);
    expect(result.requests.byOperation['kafka.OffsetCommit']).toBeGreaterThanOrEqual(records);
    expect(result.requests.kafkaFetch).toBeGreaterThanOrEqual(1);
    const tables = (await dynamodb.send(new ListTablesCommand({}))).TableNames ?? [];
    expect(tables.filter((table) => table.startsWith('bench-baseline-'))).toEqual([]);
  });

  it('baseline: stops after the requested number of messages', async () => {
    const result = await runPerRecordBaseline({ endpoints, topics: [baselineTopic], records: 40 });
    expect(result.records).toBe(40);
    expect(result.requests.analyticsPosts + result.duplicatesSkipped).toBe(40);
  });
});
