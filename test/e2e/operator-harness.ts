import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import type { Admin } from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import type { MockApiServer } from '../../lambdas/mock-apis/local-server';
import { startMockApiServer } from '../../lambdas/mock-apis/local-server';
import type { Dashboard } from '../../localstack/dashboard/server';
import { startDashboard } from '../../localstack/dashboard/server';
import type { LocalRuntime, LocalRuntimeOptions } from '../../localstack/runtime/local-runtime';
import { startLocalRuntime } from '../../localstack/runtime/local-runtime';
import type { PipelineProgress } from '../../localstack/runtime/progress';
import { pipelineProgress, topicMessageCount } from '../../localstack/runtime/progress';
import { localCredentials } from '../../localstack/stack/endpoints';
import type { PipelineResourceNames } from '../../localstack/stack/provision';
import { provisionPipelineResources } from '../../localstack/stack/provision';
import { localStack } from '../support/local-stack';

export interface OperatorHarness {
  names: PipelineResourceNames;
  mock: MockApiServer;
  runtime: LocalRuntime;
  dashboard: Dashboard;
  progress(): Promise<PipelineProgress>;
  /** Messages on this run's DLQ topic (works while Analytics, hence `progress`, is failing). */
  dlqMessages(): Promise<number>;
  /** Waits until `accept` holds and nothing is in flight (lag 0, staging empty, mapping idle). */
  waitUntilSettled(
    accept: (p: PipelineProgress) => boolean,
    timeoutMs: number,
  ): Promise<PipelineProgress>;
  admin(path: string, method: string, body?: unknown): Promise<unknown>;
  failures: string[];
  close(): Promise<void>;
}

/**
 * What `npm start` assembles, in-process and on uniquely named resources: mock APIs, the local
 * runtime (schedules + event source mapping) and the dashboard fed by the runtime's output.
 */
export async function startOperatorHarness(options: {
  customers: number;
  products: number;
  seed: number;
  extraEnv?: LocalRuntimeOptions['extraEnv'];
}): Promise<OperatorHarness> {
  const endpoints = localStack();
  const suffix = randomUUID().slice(0, 8);
  const names: PipelineResourceNames = {
    customerTopic: `customer_data-ops-${suffix}`,
    productTopic: `inventory_data-ops-${suffix}`,
    dlqTopic: `analytics_dlq-ops-${suffix}`,
    idempotencyTable: `ecom-sync-idempotency-ops-${suffix}`,
    syncStateTable: `ecom-sync-sync-state-ops-${suffix}`,
    stagingBucket: `ecom-sync-staging-ops-${suffix}`,
  };
  const groupId = `ecom-sync-merge-consumer-ops-${suffix}`;
  await provisionPipelineResources(endpoints, names);
  const mock = await startMockApiServer({
    port: 0,
    seed: options.seed,
    customers: options.customers,
    products: options.products,
    driftPerMinute: 0,
    logger: new Logger({ serviceName: 'mock-apis', logLevel: 'ERROR' }),
  });
  const kafkaAdmin: Admin = new Kafka({
    clientId: 'operator-e2e',
    brokers: endpoints.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await kafkaAdmin.connect();
  const s3 = new S3Client({
    endpoint: endpoints.s3Endpoint,
    region: endpoints.region,
    credentials: localCredentials,
    forcePathStyle: true,
  });
  const progress = (): Promise<PipelineProgress> =>
    pipelineProgress({
      admin: kafkaAdmin,
      s3,
      mockApiUrl: mock.url,
      groupId,
      sourceTopics: [names.customerTopic, names.productTopic],
      dlqTopic: names.dlqTopic,
      bucket: names.stagingBucket,
    });

  const failures: string[] = [];
  // The dashboard exists before the runtime so it sees the very first EMF lines.
  const dashboard = await startDashboard({
    progress,
    bucketMs: 2_000,
    progressIntervalMs: 1_000,
    expectedRecords: options.customers + options.products,
  });
  const runtime = await startLocalRuntime({
    endpoints,
    names,
    mockApiUrl: mock.url,
    tickMs: 1_000,
    consumerGroupId: groupId,
    logLevel: 'WARN',
    ...(options.extraEnv ? { extraEnv: options.extraEnv } : {}),
    onOutput: (line, isMetric) => dashboard.observe(line, isMetric),
    onSchedule: (outcome) => {
      if (outcome.status === 'failed')
        failures.push(`${outcome.functionName}: ${outcome.error.message}`);
    },
  });
  dashboard.serve((key, event) => runtime.invoke(key, event));

  return {
    names,
    mock,
    runtime,
    dashboard,
    progress,
    dlqMessages: () => topicMessageCount(kafkaAdmin, names.dlqTopic),
    failures,
    async waitUntilSettled(accept, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last = await progress();
      while (Date.now() < deadline) {
        last = await progress();
        if (
          accept(last) &&
          last.consumerLag === 0 &&
          last.stagedObjects === 0 &&
          runtime.mappings.every((mapping) => mapping.idle)
        )
          return last;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      throw new Error(
        `not settled in ${timeoutMs} ms: ${JSON.stringify(last)}; failures: ${failures.join(' | ')}`,
      );
    },
    async admin(path, method, body) {
      const response = await fetch(new URL(path, mock.url), {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body), // undefined without a body
      });
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}`);
      return response.status === 204 ? undefined : response.json();
    },
    async close() {
      await runtime.stop();
      await dashboard.close();
      await mock.close();
      await kafkaAdmin.disconnect();
      s3.destroy();
    },
  };
}
