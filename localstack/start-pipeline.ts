import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import type { S3Client } from '@aws-sdk/client-s3';
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import type { Admin } from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import { startMockApiServer } from '../lambdas/mock-apis/local-server';
import type { AnalyticsStats } from '../lambdas/shared/analytics-payload';
import { AnalyticsStatsSchema } from '../lambdas/shared/analytics-payload';
import { pipeline, staging } from '../lambdas/shared/pipeline';
import type { DashboardOptions } from './dashboard/server';
import { startDashboard } from './dashboard/server';
import { MetricSeries } from './runtime/emf';
import type { LocalRuntimeOptions } from './runtime/local-runtime';
import { mergeConsumerSubscriptions, startLocalRuntime } from './runtime/local-runtime';
import { localS3Client } from './stack/endpoints';
import type { PipelineResourceNames } from './stack/provision';
import { defaultResourceNames, provisionPipelineResources } from './stack/provision';

export interface PipelineRunOptions extends Pick<
  LocalRuntimeOptions,
  'endpoints' | 'extraEnv' | 'preloadModules' | 'schedules' | 'onSchedule' | 'onOutput'
> {
  /**
   * Part of every resource name (topics, tables, bucket, consumer groups), with a random suffix,
   * so runs share one stack. Without it: pipeline.ts's own names, as `npm start` uses them.
   */
  label?: string;
  customers: number;
  products: number;
  seed?: number;
  /** Local length of one scheduled minute (default 1,000 ms). */
  tickMs?: number;
  mergeConcurrency?: number;
  /** POWERTOOLS_LOG_LEVEL of the functions and the mock APIs' log level (default ERROR). */
  logLevel?: LogLevel;
  /** Serve the dashboard and control API, fed from the functions' output from their first line. */
  dashboard?: Omit<DashboardOptions, 'progress' | 'invoke' | 'metrics'> & {
    /** The metric charts' period (default 5 s). */
    bucketMs?: number;
  };
}

export interface PipelineProgress {
  stats: AnalyticsStats;
  /** Records on the source topics not yet committed by the merge-consumer's groups. */
  consumerLag: number;
  /** Batch objects under `staging/` that flush has not delivered yet. */
  stagedObjects: number;
  dlqMessages: number;
}

export interface DrainCondition {
  /** What Analytics must hold; drained also needs no lag, nothing staged and an idle runtime. */
  accept: (progress: PipelineProgress) => boolean;
  timeoutMs: number;
  pollMs?: number;
}

/** Mock APIs, the four functions in the local Lambda runtime, optionally the dashboard. */
export type PipelineRun = Awaited<ReturnType<typeof startPipeline>>;

const maxKeptFailures = 200;

function uniqueNames(label: string): { names: PipelineResourceNames; groupId: string } {
  const suffix = `${label}-${randomUUID().slice(0, 8)}`;
  const names = { ...defaultResourceNames };
  for (const key of Object.keys(names) as (keyof PipelineResourceNames)[])
    names[key] = `${names[key]}-${suffix}`;
  names.stagingBucket = names.stagingBucket.toLowerCase().slice(0, 63);
  return { names, groupId: `${pipeline.mergeConsumer.consumerGroupId}-${suffix}` };
}

export async function startPipeline(options: PipelineRunOptions) {
  const { endpoints } = options;
  const unique = options.label === undefined ? undefined : uniqueNames(options.label);
  const names = await provisionPipelineResources(endpoints, unique?.names);
  const groupId = unique?.groupId ?? pipeline.mergeConsumer.consumerGroupId;
  const logLevelName = options.logLevel ?? 'ERROR';

  const failures: string[] = [];
  const mappingRestarts: string[] = [];
  const mappingFailures = {
    /** Invocations that returned batchItemFailures (their failed records are retried). */
    partialFailures: 0,
    /** Invocations that threw, timed out or crashed (retried, bisected). */
    functionErrors: 0,
    /** Records handed to the on-failure destination (`npm run dlq -- redrive` republishes them). */
    onFailureRecords: 0,
  };
  const remember = (line: string): void => {
    failures.push(line);
    if (failures.length > maxKeptFailures) failures.shift();
  };
  const cleanups: Array<() => unknown> = [];
  const cleanUp = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };

  try {
    const mock = await startMockApiServer({
      port: 0,
      seed: options.seed ?? 42,
      customers: options.customers,
      products: options.products,
      driftPerMinute: 0,
      logger: new Logger({ serviceName: 'mock-apis', logLevel: logLevelName }),
    });
    cleanups.push(() => mock.close());
    const admin = new Kafka({
      clientId: `pipeline-${options.label ?? 'local'}`,
      brokers: endpoints.kafkaBrokers.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const s3 = localS3Client(endpoints);
    cleanups.push(() => s3.destroy());

    const progress = async (): Promise<PipelineProgress> => {
      const [stats, lag, staged, dlq] = await Promise.all([
        fetchAnalyticsStats(mock.url),
        consumerLag(admin, mergeConsumerSubscriptions(names, groupId)),
        stagedObjectCount(s3, names.stagingBucket),
        topicMessageCount(admin, names.dlqTopic),
      ]);
      return { stats, consumerLag: lag, stagedObjects: staged, dlqMessages: dlq };
    };
    const metrics = new MetricSeries(options.dashboard?.bucketMs);
    // Before the runtime, to see its very first error lines; operations answer 503 until `serve`.
    const dashboard = options.dashboard
      ? await startDashboard({ ...options.dashboard, progress, metrics })
      : undefined;
    if (dashboard) cleanups.push(() => dashboard.close());

    const startedAt = Date.now();
    const runtime = await startLocalRuntime({
      endpoints,
      names,
      mockApiUrl: mock.url,
      tickMs: options.tickMs ?? 1_000,
      consumerGroupId: groupId,
      logLevel: logLevelName,
      metrics,
      mergeConsumerConcurrency: options.mergeConcurrency,
      extraEnv: options.extraEnv,
      preloadModules: options.preloadModules,
      schedules: options.schedules,
      onSchedule: (outcome) => {
        if (outcome.status === 'failed')
          remember(`${outcome.functionName}: ${outcome.error.message}`);
        options.onSchedule?.(outcome);
      },
      onOutput: (line, isMetric) => {
        if (!isMetric && line.stream === 'stderr') remember(`[${line.functionName}] ${line.text}`);
        dashboard?.observe(line, isMetric);
        options.onOutput?.(line, isMetric);
      },
      onMappingActivity: (activity) => {
        if (activity.type === 'consumer-restart') mappingRestarts.push(activity.reason);
        if (activity.type === 'partial-failure') mappingFailures.partialFailures += 1;
        if (activity.type === 'function-error') mappingFailures.functionErrors += 1;
        if (activity.type === 'on-failure') mappingFailures.onFailureRecords += activity.records;
        if (activity.type === 'delivery-error')
          remember(`[mapping] ${activity.records} records to retry: ${activity.message}`);
      },
    });
    cleanups.push(() => runtime.stop());
    dashboard?.serve(
      (key, event) => runtime.invoke(key, event),
      (request) => runtime.replay(request),
    );

    let stopping: Promise<void> | undefined;
    return {
      names,
      /** Prefix of the merge-consumer's consumer groups, one per source topic. */
      groupId,
      mock,
      runtime,
      dashboard,
      admin,
      /** When the runtime was asked to start (before the cold starts). */
      startedAt,
      /** Failed scheduled invocations and the functions' stderr lines, newest last (bounded). */
      failures,
      /** Why the merge-consumer mapping had to rejoin after a kafkajs crash, one entry per attempt. */
      mappingRestarts,
      /** Failed merge-consumer invocations the mapping saw, and records it gave up on. */
      mappingFailures,
      progress,
      /** Resolves with the progress that satisfied the condition; throws with the last one on timeout or stop. */
      async waitUntilDrained({ accept, timeoutMs, pollMs = 500 }: DrainCondition) {
        const deadline = Date.now() + timeoutMs;
        let last: PipelineProgress | undefined;
        let lastError: unknown;
        while (Date.now() < deadline && !stopping) {
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
          `pipeline did not drain in ${timeoutMs} ms${stopping ? ' (stopped)' : ''}: ${JSON.stringify(last)}` +
            (lastError instanceof Error ? `; last progress error: ${lastError.message}` : '') +
            `; recent failures: ${failures.slice(-5).join(' | ')}`,
        );
      },
      stop() {
        stopping ??= cleanUp();
        return stopping;
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

async function fetchAnalyticsStats(mockApiUrl: string): Promise<AnalyticsStats> {
  const response = await fetch(new URL('/analytics/stats', mockApiUrl));
  if (!response.ok) throw new Error(`GET /analytics/stats answered ${response.status}`);
  return AnalyticsStatsSchema.parse(await response.json());
}

/** Per merge-consumer mapping (its own group per topic, as infra deploys them). */
async function consumerLag(admin: Admin, mappings: ReturnType<typeof mergeConsumerSubscriptions>) {
  let lag = 0;
  for (const { topic, groupId } of mappings) {
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    const done = committed.find((entry) => entry.topic === topic)?.partitions ?? [];
    for (const end of ends) {
      const offset = Number(done.find((p) => p.partition === end.partition)?.offset ?? '-1');
      // -1: nothing committed yet, everything from the low watermark is still to come.
      const from = offset < 0 ? Number(end.low) : offset;
      lag += Math.max(0, Number(end.high) - from);
    }
  }
  return lag;
}

export async function topicMessageCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + (Number(p.high) - Number(p.low)), 0);
}

async function stagedObjectCount(s3: S3Client, bucket: string): Promise<number> {
  let count = 0;
  const pages = paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: staging.prefixes.staging },
  );
  for await (const page of pages) count += page.KeyCount ?? 0;
  return count;
}
