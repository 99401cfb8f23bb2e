import { Kafka, logLevel } from 'kafkajs';
import type { PipelineFunctionKey, PipelineResources } from '../../lambdas/shared/functions';
import {
  functionEnvironment,
  pipelineFunctions,
  runtimeEnvironment,
} from '../../lambdas/shared/functions';
import {
  functionNames,
  lambdaNodeMajor,
  mergeConsumerGroupId,
  pipeline,
  replayGroupId,
} from '../../lambdas/shared/pipeline';
import type { StackEndpoints } from '../stack/endpoints';
import { stackEnv } from '../stack/endpoints';
import type { ReplayRequest } from '../dashboard/operations';
import { seekGroup } from '../../lambdas/shared/kafka';
import { MissingPrerequisiteError, parseNodeMajor } from '../stack/prerequisites';
import type { PipelineResourceNames } from '../stack/provision';
import { MetricSeries } from './emf';
import type { FunctionDefinition, OutputLine } from './function-host';
import { FunctionHost } from './function-host';
import type { MappingActivity } from './kafka-event-source';
import { KafkaEventSource } from './kafka-event-source';
import { LOCAL_ACCOUNT_ID, functionArn } from './worker-protocol';
import type { ScheduleOutcome } from './scheduler';
import { Scheduler } from './scheduler';

export interface LocalRuntimeOptions {
  endpoints: StackEndpoints;
  names: PipelineResourceNames;
  /** Base URL of the mock APIs: source APIs for the pollers, Analytics for flush. */
  mockApiUrl: string;
  /** POWERTOOLS_LOG_LEVEL of every function (default WARN: quiet). */
  logLevel?: string;
  /** Per-function environment additions (tunables such as POLLER_PAGE_SIZE). */
  extraEnv?: Partial<Record<PipelineFunctionKey, Record<string, string>>>;
  /** Modules each function's worker imports before its handler (bench/chaos instrumentation). */
  preloadModules?: Partial<Record<PipelineFunctionKey, string[]>>;
  mergeConsumerConcurrency?: number;
  /** Local length of one scheduled minute. */
  tickMs: number;
  /** Prefix of the mappings' consumer groups, one per topic (default the pipeline's). */
  consumerGroupId?: string;
  /** Start the schedules (default true); tests may drive the functions by hand instead. */
  schedules?: boolean;
  /** Where the functions' EMF lines are counted (default: a new series). */
  metrics?: MetricSeries;
  onOutput?: (line: OutputLine, isMetric: boolean) => void;
  onSchedule?: (outcome: ScheduleOutcome) => void;
  onMappingActivity?: (activity: MappingActivity) => void;
}

/**
 * The functions deploy to Lambda's `nodejs<lambdaNodeMajor>.x`, and the workers that stand in for
 * Lambda run on this process's Node, so a run on another major would test another runtime.
 */
export function assertLambdaNodeRuntime(version: string): void {
  if (parseNodeMajor(version) === lambdaNodeMajor) return;
  throw new MissingPrerequisiteError(
    `the local Lambda runtime runs the functions on Node.js ${lambdaNodeMajor}, as Lambda's nodejs${lambdaNodeMajor}.x does, but this is Node.js ${version}: run it through npm (npm start, npm test, npm run …), which puts the project's Node.js ${lambdaNodeMajor} (devDependency "node") first on PATH`,
  );
}

/**
 * The merge-consumer's mappings as infra deploys them (infra/lib/ecom-sync-stack.ts): one per
 * topic, each with its own consumer group, since Lambda wants a group id unique per mapping.
 */
export function mergeConsumerSubscriptions(
  names: Pick<PipelineResourceNames, 'customerTopic' | 'productTopic'>,
  groupIdPrefix: string = pipeline.mergeConsumer.consumerGroupId,
): { topic: string; groupId: string }[] {
  return [names.customerTopic, names.productTopic].map((topic) => ({
    topic,
    groupId: mergeConsumerGroupId(topic, groupIdPrefix),
  }));
}

/**
 * The registry's functions with the environment infra/ gives them on AWS (`functionEnvironment`),
 * pointed at the local stack. Each gets only its own env, as separate Lambda functions do.
 */
export function pipelineFunctionDefinitions(
  options: Omit<LocalRuntimeOptions, 'tickMs'>,
): Record<PipelineFunctionKey, FunctionDefinition> {
  const { endpoints } = options;
  const api = { baseUrl: options.mockApiUrl, auth: 'none' } as const;
  const resources: PipelineResources = { ...options.names, sourceApi: api, analyticsApi: api };
  // Execution environments; merge-consumer one per partition of a topic, what 2 cores can run.
  const maxConcurrency: Record<PipelineFunctionKey, number> = {
    pollCrm: 1,
    pollInventory: 1,
    mergeConsumer: options.mergeConsumerConcurrency ?? 3,
    flush: pipeline.flush.reservedConcurrency,
  };
  const definition = (key: PipelineFunctionKey): FunctionDefinition => {
    const spec = pipelineFunctions[key];
    return {
      functionName: spec.name,
      handlerModule: spec.entry,
      timeoutMs: spec.tunables.timeoutSeconds * 1000,
      memoryMb: spec.tunables.memoryMb,
      maxConcurrency: maxConcurrency[key],
      region: endpoints.region,
      preloadModules: options.preloadModules?.[key],
      env: {
        ...stackEnv(endpoints),
        ...functionEnvironment(spec, resources),
        AWS_LAMBDA_FUNCTION_NAME: spec.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.tunables.memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        KAFKA_AUTH: 'none',
        ...runtimeEnvironment(spec.name, options.logLevel ?? 'WARN'),
        ...options.extraEnv?.[key],
      },
    };
  };
  return Object.fromEntries(
    Object.keys(pipelineFunctions).map((key) => [key, definition(key as PipelineFunctionKey)]),
  ) as Record<PipelineFunctionKey, FunctionDefinition>;
}

/**
 * The local Lambda service for the pipeline: one FunctionHost per function, the EventBridge
 * schedules and the merge-consumer's Kafka event source mapping, wired like infra/ wires AWS.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions) {
  assertLambdaNodeRuntime(process.version);
  const metrics = options.metrics ?? new MetricSeries();
  const definitions = Object.entries(pipelineFunctionDefinitions(options));
  const hosts = Object.fromEntries(
    definitions.map(([key, definition]) => [key, new FunctionHost(definition)]),
  ) as Record<PipelineFunctionKey, FunctionHost>;
  for (const host of Object.values(hosts)) {
    host.onOutput((line) => {
      const isMetric = metrics.observe(line.text);
      options.onOutput?.(line, isMetric);
    });
  }

  const stopHosts = (): Promise<unknown> =>
    Promise.all(Object.values(hosts).map((host) => host.close()));
  const kafka = new Kafka({
    clientId: 'local-lambda-runtime',
    brokers: options.endpoints.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const mapping = (topic: string, groupId: string, onActivity = options.onMappingActivity) =>
    new KafkaEventSource({
      kafka,
      topics: [topic],
      groupId,
      target: (event) => hosts.mergeConsumer.invoke(event),
      functionArn: functionArn(functionNames.mergeConsumer, options.endpoints.region),
      source: {
        eventSourceArn: `arn:aws:kafka:${options.endpoints.region}:${LOCAL_ACCOUNT_ID}:cluster/ecom-sync-local/00000000-0000-0000-0000-000000000000-1`,
        bootstrapServers: options.endpoints.kafkaBrokers,
      },
      controls: { onFailureTopic: options.names.dlqTopic },
      maxConcurrency: hosts.mergeConsumer.definition.maxConcurrency ?? 1,
      onActivity,
    });
  const subscriptions = mergeConsumerSubscriptions(options.names, options.consumerGroupId);
  const mappings = subscriptions.map(({ topic, groupId }) => mapping(topic, groupId));
  const scheduler = new Scheduler({
    targets: (['pollCrm', 'pollInventory', 'flush'] as const).map((key) => ({
      functionName: functionNames[key],
      rateMinutes: pipeline.schedules[functionNames[key]].rateMinutes,
      invoke: (event: unknown) => hosts[key].invoke(event),
    })),
    tickMs: options.tickMs,
    region: options.endpoints.region,
    account: LOCAL_ACCOUNT_ID,
    onInvocation: options.onSchedule,
  });

  try {
    // Cold-start every function up front: a handler whose env does not parse fails here, loudly.
    await Promise.all(Object.values(hosts).map((host) => host.warm()));
    await Promise.all(mappings.map((mapping) => mapping.start()));
  } catch (error) {
    await stopHosts();
    throw error;
  }
  if (options.schedules ?? true) scheduler.start();

  return {
    hosts,
    scheduler,
    metrics,
    /** Invoke a function by hand (RequestResponse), as `aws lambda invoke` would. */
    invoke: (key: PipelineFunctionKey, event: unknown) => hosts[key].invoke(event),
    /**
     * Re-delivers a range of `topic` through the merge-consumer (`npm run replay`) as on AWS
     * (docs/runbook.md, "Replay"): a second mapping with its own group, started where `seekGroup`
     * put it, stopped once it has committed the end the topic had when asked.
     */
    async replay({ topic, from, partition, redeliver }: ReplayRequest) {
      // flush's answer is the range seekGroup answers, plus what it republished.
      const event = { action: 'redeliver', topic, from, partition };
      if (redeliver)
        return (await hosts.flush.invoke(event)) as Awaited<ReturnType<typeof seekGroup>>;
      const live = subscriptions.find((subscription) => subscription.topic === topic);
      if (!live) throw new Error(`no mapping reads ${topic}`);
      const groupId = replayGroupId(live.groupId);
      const admin = kafka.admin();
      await admin.connect();
      try {
        const range = await seekGroup(admin, { groupId, topic, from, partition });
        const pending = new Map(
          Object.entries(range.to)
            .filter(([p, end]) => range.from[Number(p)] !== end)
            .map(([p, end]) => [`${topic}-${p}`, BigInt(end)]),
        );
        let done = (): void => undefined;
        const finished = new Promise<void>((resolve) => (done = resolve));
        const replay = mapping(topic, groupId, (activity) => {
          options.onMappingActivity?.(activity);
          if (activity.type !== 'commit') return;
          for (const [key, offset] of Object.entries(activity.offsets))
            if (BigInt(offset) >= (pending.get(key) ?? Infinity)) pending.delete(key);
          if (pending.size === 0) done();
        });
        if (pending.size > 0) {
          // Among the mappings while it runs: `idle` waits for it, `stop` stops it.
          mappings.push(replay);
          await replay.start();
          await finished;
          await replay.stop();
          mappings.splice(mappings.indexOf(replay), 1);
        }
        await admin.deleteGroups([groupId]);
        return range;
      } finally {
        await admin.disconnect();
      }
    },
    /** No invocation running anywhere and nothing buffered in the mapping. */
    get idle() {
      return (
        mappings.every((mapping) => mapping.idle) &&
        Object.values(hosts).every((host) => host.inFlight === 0)
      );
    },
    async stop() {
      await scheduler.stop();
      await Promise.all(mappings.map((mapping) => mapping.stop()));
      await stopHosts();
    },
  };
}
