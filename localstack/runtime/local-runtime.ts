import { Kafka, logLevel } from 'kafkajs';
import {
  functionNames,
  lambdaNodeMajor,
  mergeConsumerGroupId,
  pipeline,
} from '../../lambdas/shared/pipeline';
import { MissingPrerequisiteError, parseNodeMajor } from '../stack/prerequisites';
import { MetricSeries } from './emf';
import type { OutputLine } from './function-host';
import { FunctionHost } from './function-host';
import type { MappingActivity } from './kafka-event-source';
import { KafkaEventSource } from './kafka-event-source';
import { LOCAL_ACCOUNT_ID, functionArn } from './lambda-context';
import type { HostedFunctionKey, PipelineFunctionOptions } from './pipeline-functions';
import { pipelineFunctionDefinitions } from './pipeline-functions';
import type { ScheduleOutcome } from './scheduler';
import { Scheduler } from './scheduler';

export interface LocalRuntimeOptions extends PipelineFunctionOptions {
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

export interface LocalRuntime {
  hosts: Record<HostedFunctionKey, FunctionHost>;
  scheduler: Scheduler;
  metrics: MetricSeries;
  /** Invoke a function by hand (RequestResponse), as `aws lambda invoke` would. */
  invoke(key: HostedFunctionKey, event: unknown): Promise<unknown>;
  /** No invocation running anywhere and nothing buffered in the mapping. */
  readonly idle: boolean;
  stop(): Promise<void>;
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
  names: Pick<PipelineFunctionOptions['names'], 'customerTopic' | 'productTopic'>,
  groupIdPrefix: string = pipeline.mergeConsumer.consumerGroupId,
): { topic: string; groupId: string }[] {
  return [names.customerTopic, names.productTopic].map((topic) => ({
    topic,
    groupId: mergeConsumerGroupId(topic, groupIdPrefix),
  }));
}

/**
 * The local Lambda service for the pipeline: one FunctionHost per function, the EventBridge
 * schedules and the merge-consumer's Kafka event source mapping, wired like infra/ wires AWS.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  assertLambdaNodeRuntime(process.version);
  const definitions = pipelineFunctionDefinitions(options);
  const metrics = options.metrics ?? new MetricSeries();
  const hosts = Object.fromEntries(
    Object.entries(definitions).map(([key, definition]) => [key, new FunctionHost(definition)]),
  ) as Record<HostedFunctionKey, FunctionHost>;
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
  const mappings = mergeConsumerSubscriptions(options.names, options.consumerGroupId).map(
    ({ topic, groupId }) =>
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
        onActivity: options.onMappingActivity,
      }),
  );
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
    invoke: (key, event) => hosts[key].invoke(event),
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
