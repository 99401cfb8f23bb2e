import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import type { Admin } from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockApiServer } from '../../lambdas/mock-apis/local-server';
import { startMockApiServer } from '../../lambdas/mock-apis/local-server';
import type { LocalRuntime } from '../../localstack/runtime/local-runtime';
import { startLocalRuntime } from '../../localstack/runtime/local-runtime';
import type { PipelineProgress } from '../../localstack/runtime/progress';
import { pipelineProgress } from '../../localstack/runtime/progress';
import { localCredentials } from '../../localstack/stack/endpoints';
import type { PipelineResourceNames } from '../../localstack/stack/provision';
import { provisionPipelineResources } from '../../localstack/stack/provision';
import { localStack } from '../support/local-stack';

/**
 * The whole pipeline on the real local stack: pollers, merge-consumer and flush in their own
 * worker threads, the EventBridge schedules and the Kafka event source mapping, against the mock
 * APIs. Every resource name is unique to this run.
 */

const TOTAL = 20_000;
const CUSTOMERS = Math.round((TOTAL * 2) / 3);
const PRODUCTS = TOTAL - CUSTOMERS;
const MUTATED = { customers: 300, products: 200 };

const suffix = randomUUID().slice(0, 8);
const names: PipelineResourceNames = {
  customerTopic: `customer_data-e2e-${suffix}`,
  productTopic: `inventory_data-e2e-${suffix}`,
  dlqTopic: `analytics_dlq-e2e-${suffix}`,
  idempotencyTable: `ecom-sync-idempotency-e2e-${suffix}`,
  syncStateTable: `ecom-sync-sync-state-e2e-${suffix}`,
  stagingBucket: `ecom-sync-staging-e2e-${suffix}`,
};
const groupId = `ecom-sync-merge-consumer-e2e-${suffix}`;

let mock: MockApiServer;
let runtime: LocalRuntime;
let admin: Admin;
let s3: S3Client;
const failures: string[] = [];

beforeAll(async () => {
  const endpoints = localStack();
  await provisionPipelineResources(endpoints, names);
  mock = await startMockApiServer({
    port: 0,
    seed: 20_000,
    customers: CUSTOMERS,
    products: PRODUCTS,
    driftPerMinute: 0,
    logger: new Logger({ serviceName: 'mock-apis', logLevel: 'ERROR' }),
  });
  admin = new Kafka({
    clientId: 'e2e',
    brokers: endpoints.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  s3 = new S3Client({
    endpoint: endpoints.s3Endpoint,
    region: endpoints.region,
    credentials: localCredentials,
    forcePathStyle: true,
  });
});

afterAll(async () => {
  await runtime?.stop();
  await mock?.close();
  await admin?.disconnect();
  s3?.destroy();
});

const progress = (): Promise<PipelineProgress> =>
  pipelineProgress({
    admin,
    s3,
    mockApiUrl: mock.url,
    groupId,
    sourceTopics: [names.customerTopic, names.productTopic],
    dlqTopic: names.dlqTopic,
    bucket: names.stagingBucket,
  });

/** Polls until Analytics holds what is expected and nothing is left in Kafka, the mapping or staging. */
async function waitUntilDrained(
  accept: (p: PipelineProgress) => boolean,
  timeoutMs: number,
): Promise<PipelineProgress> {
  const deadline = Date.now() + timeoutMs;
  let last = await progress();
  while (Date.now() < deadline) {
    last = await progress();
    if (accept(last) && last.consumerLag === 0 && last.stagedObjects === 0 && runtime.mapping.idle)
      return last;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  throw new Error(
    `pipeline did not drain in ${timeoutMs} ms: ${JSON.stringify(last)}; failures: ${failures.join(' | ')}`,
  );
}

async function mutate(entity: 'customers' | 'products', count: number): Promise<string[]> {
  const response = await fetch(new URL('/admin/mutate', mock.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ entity, count }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { ids: string[] };
  return body.ids;
}

describe('ecom-sync end to end (local stack, workers, schedules, event source mapping)', () => {
  it(
    `delivers ${TOTAL} records exactly once, a full resync adds nothing, ${MUTATED.customers + MUTATED.products} mutations arrive once each`,
    { timeout: 1_500_000 },
    async () => {
      const startedAt = Date.now();
      runtime = await startLocalRuntime({
        endpoints: localStack(),
        names,
        mockApiUrl: mock.url,
        tickMs: 1_000,
        consumerGroupId: groupId,
        logLevel: 'ERROR',
        onSchedule: (outcome) => {
          if (outcome.status === 'failed')
            failures.push(`${outcome.functionName}: ${outcome.error.message}`);
        },
        onOutput: (line, isMetric) => {
          if (!isMetric && line.stream === 'stderr')
            console.error(`[${line.functionName}] ${line.text}`);
        },
      });

      // 1. The first scheduled polls are full syncs; everything reaches Analytics once.
      const first = await waitUntilDrained((p) => p.stats.uniqueRecords >= TOTAL, 900_000);
      const elapsedS = (Date.now() - startedAt) / 1000;
      console.log(
        `[e2e] ${TOTAL} records delivered in ${elapsedS.toFixed(1)} s: ${(TOTAL / elapsedS).toFixed(0)} records/s end to end ` +
          `(${first.stats.payloads} payloads)`,
      );
      expect(first.stats.uniqueRecords).toBe(TOTAL);
      expect(first.stats.uniqueVersions).toBe(TOTAL);
      expect(first.stats.duplicateRecords).toBe(0);
      expect(first.stats.duplicatePayloads).toBe(0);
      expect(first.dlqMessages).toBe(0);

      // 2. A full resync re-publishes everything; the consumer recognises every version.
      const resyncStartedAt = Date.now();
      const [crm, inventory] = (await Promise.all([
        runtime.invoke('pollCrm', { mode: 'full' }),
        runtime.invoke('pollInventory', { mode: 'full' }),
      ])) as Array<{ status: string; published: number }>;
      expect(crm).toMatchObject({ status: 'complete', published: CUSTOMERS });
      expect(inventory).toMatchObject({ status: 'complete', published: PRODUCTS });
      const resynced = await waitUntilDrained(() => true, 600_000);
      console.log(
        `[e2e] full resync of ${TOTAL} records absorbed in ${((Date.now() - resyncStartedAt) / 1000).toFixed(1)} s`,
      );
      expect(resynced.stats).toEqual(first.stats);

      // 3. Changed records flow through the incremental polls, once each.
      const mutatedIds = [
        ...(await mutate('customers', MUTATED.customers)),
        ...(await mutate('products', MUTATED.products)),
      ];
      expect(new Set(mutatedIds).size).toBe(MUTATED.customers + MUTATED.products);
      const expectedVersions = first.stats.uniqueVersions + mutatedIds.length;
      const mutationStartedAt = Date.now();
      const changed = await waitUntilDrained(
        (p) => p.stats.uniqueVersions >= expectedVersions,
        300_000,
      );
      console.log(
        `[e2e] ${mutatedIds.length} changes delivered in ${((Date.now() - mutationStartedAt) / 1000).toFixed(1)} s`,
      );
      // A few more poll cycles must not bring anything else.
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      const settled = await waitUntilDrained(() => true, 120_000);
      for (const snapshot of [changed, settled]) {
        expect(snapshot.stats.uniqueVersions).toBe(expectedVersions);
        expect(snapshot.stats.uniqueRecords).toBe(TOTAL);
        expect(snapshot.stats.duplicateRecords).toBe(0);
        expect(snapshot.stats.duplicatePayloads).toBe(0);
        expect(snapshot.dlqMessages).toBe(0);
      }
      console.log(`[e2e] metrics: ${JSON.stringify(runtime.metrics.snapshot())}`);
    },
  );
});
