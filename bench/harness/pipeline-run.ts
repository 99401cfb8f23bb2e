import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import type { Admin } from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import type { MockApiServer } from '../../lambdas/mock-apis/local-server';
import { startMockApiServer } from '../../lambdas/mock-apis/local-server';
import type { MappingControls } from '../../localstack/runtime/kafka-event-source';
import type { LocalRuntime } from '../../localstack/runtime/local-runtime';
import { startLocalRuntime } from '../../localstack/runtime/local-runtime';
import type { HostedFunctionKey } from '../../localstack/runtime/pipeline-functions';
import type { PipelineProgress } from '../../localstack/runtime/progress';
import { pipelineProgress } from '../../localstack/runtime/progress';
import type { ScheduleOutcome } from '../../localstack/runtime/scheduler';
import type { StackEndpoints } from '../../localstack/stack/endpoints';
import { localCredentials } from '../../localstack/stack/endpoints';
import type { PipelineResourceNames } from '../../localstack/stack/provision';
import { provisionPipelineResources } from '../../localstack/stack/provision';

export interface PipelineRunOptions {
  endpoints: StackEndpoints;
  /** Part of every resource name (topics, tables, bucket, consumer group), with a random suffix. */
  label: string;
  customers: number;
  products: number;
  seed?: number;
  /** Local length of one scheduled minute (default 1,000 ms). */
  tickMs?: number;
  mergeConcurrency?: number;
  /** POWERTOOLS_LOG_LEVEL of the functions (default ERROR). */
  logLevel?: string;
  extraEnv?: Partial<Record<HostedFunctionKey, Record<string, string>>>;
  preloadModules?: Partial<Record<HostedFunctionKey, string[]>>;
  mappingControls?: Partial<MappingControls>;
  /** Start the EventBridge schedules (default true). */
  schedules?: boolean;
  onSchedule?: (outcome: ScheduleOutcome) => void;
}

export interface DrainCondition {
  /** What Analytics must hold; drained also needs no lag, nothing staged and an idle mapping. */
  accept: (progress: PipelineProgress) => boolean;
  timeoutMs: number;
  pollMs?: number;
}

/** One pipeline on the shared local stack, with resources of its own: what bench and chaos drive. */
export interface PipelineRun {
  names: PipelineResourceNames;
  groupId: string;
  mock: MockApiServer;
  runtime: LocalRuntime;
  admin: Admin;
  s3: S3Client;
  /** When the runtime was asked to start (before the cold starts). */
  startedAt: number;
  /** Failed scheduled invocations and the functions' stderr lines, newest last (bounded). */
  failures: string[];
  /** Why the merge-consumer mapping had to rejoin after a kafkajs crash, one entry per attempt. */
  mappingRestarts: string[];
  /** Failed merge-consumer invocations the mapping saw, and records it gave up on. */
  mappingFailures: MappingFailureCounts;
  progress(): Promise<PipelineProgress>;
  /** Resolves with the progress that satisfied the condition; throws with the last one on timeout. */
  waitUntilDrained(condition: DrainCondition): Promise<PipelineProgress>;
  stop(): Promise<void>;
}

export interface MappingFailureCounts {
  /** Invocations that returned batchItemFailures (their failed records are retried). */
  partialFailures: number;
  /** Invocations that threw, timed out or crashed (retried, bisected). */
  functionErrors: number;
  /** Records handed to the on-failure destination: offsets only, nothing redrives them. */
  onFailureRecords: number;
}

const maxKeptFailures = 200;

export async function startPipelineRun(options: PipelineRunOptions): Promise<PipelineRun> {
  const suffix = `${options.label}-${randomUUID().slice(0, 8)}`;
  const names: PipelineResourceNames = {
    customerTopic: `customer_data-${suffix}`,
    productTopic: `inventory_data-${suffix}`,
    dlqTopic: `analytics_dlq-${suffix}`,
    idempotencyTable: `ecom-sync-idempotency-${suffix}`,
    syncStateTable: `ecom-sync-sync-state-${suffix}`,
    stagingBucket: `ecom-sync-staging-${suffix}`.toLowerCase().slice(0, 63),
  };
  const groupId = `ecom-sync-merge-consumer-${suffix}`;
  await provisionPipelineResources(options.endpoints, names);

  const failures: string[] = [];
  const mappingRestarts: string[] = [];
  const mappingFailures: MappingFailureCounts = {
    partialFailures: 0,
    functionErrors: 0,
    onFailureRecords: 0,
  };
  const remember = (line: string): void => {
    failures.push(line);
    if (failures.length > maxKeptFailures) failures.shift();
  };
  const mock = await startMockApiServer({
    port: 0,
    seed: options.seed ?? 42,
    customers: options.customers,
    products: options.products,
    driftPerMinute: 0,
    logger: new Logger({ serviceName: 'mock-apis', logLevel: 'ERROR' }),
  });
  const admin = new Kafka({
    clientId: `pipeline-run-${suffix}`,
    brokers: options.endpoints.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  const s3 = new S3Client({
    endpoint: options.endpoints.s3Endpoint,
    region: options.endpoints.region,
    credentials: localCredentials,
    forcePathStyle: true,
  });

  const startedAt = Date.now();
  let runtime: LocalRuntime;
  try {
    runtime = await startLocalRuntime({
      endpoints: options.endpoints,
      names,
      mockApiUrl: mock.url,
      tickMs: options.tickMs ?? 1_000,
      consumerGroupId: groupId,
      logLevel: options.logLevel ?? 'ERROR',
      ...(options.mergeConcurrency ? { mergeConsumerConcurrency: options.mergeConcurrency } : {}),
      ...(options.extraEnv ? { extraEnv: options.extraEnv } : {}),
      ...(options.preloadModules ? { preloadModules: options.preloadModules } : {}),
      ...(options.mappingControls ? { mappingControls: options.mappingControls } : {}),
      ...(options.schedules === undefined ? {} : { schedules: options.schedules }),
      onSchedule: (outcome) => {
        if (outcome.status === 'failed')
          remember(`${outcome.functionName}: ${outcome.error.message}`);
        options.onSchedule?.(outcome);
      },
      onOutput: (line, isMetric) => {
        if (!isMetric && line.stream === 'stderr') remember(`[${line.functionName}] ${line.text}`);
      },
      onMappingActivity: (activity) => {
        if (activity.type === 'consumer-restart') mappingRestarts.push(activity.reason);
        if (activity.type === 'partial-failure') mappingFailures.partialFailures += 1;
        if (activity.type === 'function-error') mappingFailures.functionErrors += 1;
        if (activity.type === 'on-failure') mappingFailures.onFailureRecords += activity.records;
      },
    });
  } catch (error) {
    await mock.close();
    await admin.disconnect();
    s3.destroy();
    throw error;
  }

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

  let stopping: Promise<void> | undefined;
  return {
    names,
    groupId,
    mock,
    runtime,
    admin,
    s3,
    startedAt,
    failures,
    mappingRestarts,
    mappingFailures,
    progress,
    async waitUntilDrained({ accept, timeoutMs, pollMs = 500 }) {
      const deadline = Date.now() + timeoutMs;
      let last: PipelineProgress | undefined;
      let lastError: unknown;
      while (Date.now() < deadline) {
        try {
          last = await progress();
          if (accept(last) && last.consumerLag === 0 && last.stagedObjects === 0 && runtime.idle)
            return last;
        } catch (error) {
          // A server restarted by a chaos scenario answers nothing for a while; keep waiting.
          lastError = error;
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
      throw new Error(
        `pipeline did not drain in ${timeoutMs} ms: ${JSON.stringify(last)}` +
          (lastError instanceof Error ? `; last progress error: ${lastError.message}` : '') +
          `; recent failures: ${failures.slice(-5).join(' | ')}`,
      );
    },
    stop() {
      stopping ??= (async () => {
        await runtime.stop();
        await mock.close();
        await admin.disconnect();
        s3.destroy();
      })();
      return stopping;
    },
  };
}
