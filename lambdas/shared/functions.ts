import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FlushEnvSchema } from '../flush/env';
import { MergeConsumerEnvSchema } from '../merge-consumer/env';
import { PollerEnvSchema } from '../poller/environment';
import type { ApiAuth } from './api-auth';
import type { MetricName } from './pipeline';
import {
  flushMetrics,
  functionNames,
  mergeConsumerMetrics,
  pipeline,
  pollerMetrics,
  sources,
} from './pipeline';

/**
 * The function registry, each function described once, from which infra/ and the local runtime are
 * built (not in pipeline.ts: the env schemas take their defaults from it).
 */

/** A deployment's topics, tables and bucket: CDK tokens in infra, names offline. */
export interface PipelineResourceNames {
  customerTopic: string;
  productTopic: string;
  dlqTopic: string;
  idempotencyTable: string;
  syncStateTable: string;
  stagingBucket: string;
}

/** Where a deployment's resources are, and how its APIs are reached (loopback URLs offline). */
export interface PipelineResources extends PipelineResourceNames {
  sourceApi: ApiAccess;
  analyticsApi: ApiAccess;
}

/** An API's base URL and how calls to it authenticate (`API_AUTH`, the token's parameter). */
export interface ApiAccess {
  baseUrl: string;
  auth: ApiAuth;
  tokenParameter?: string | undefined;
}

/** A rate schedule, or the topics of its Kafka event source mappings. */
type Trigger = { rateMinutes: number } | { topics: (resources: PipelineResources) => string[] };

interface FunctionSpec<Schema extends z.ZodType, T extends Trigger> {
  name: (typeof functionNames)[keyof typeof functionNames];
  /** The TypeScript file exporting `handler`. */
  entry: string;
  description: string;
  envSchema: Schema;
  /** The function's own variables (Kafka's come from the connection), typed by its schema. */
  env: (resources: PipelineResources) => z.input<Schema>;
  tunables: { memoryMb: number; timeoutSeconds: number; reservedConcurrency?: number };
  metrics: Readonly<Record<string, MetricName>>;
  /** Which of those counts the records it sends to analytics_dlq (the DLQ alarm sums them). */
  deadLetters: MetricName;
  trigger: T;
}

const define = <Schema extends z.ZodType, T extends Trigger>(spec: FunctionSpec<Schema, T>) => spec;
/** The handler file of a function folder (`lambdas/<name>/handler.ts`; mock-apis too). */
export const handlerEntry = (folder: (typeof functionNames)[keyof typeof functionNames]) =>
  fileURLToPath(new URL(`../${folder}/handler.ts`, import.meta.url));
/** The pollers' and flush's staging, sync state and API variables (`<prefix>_API_BASE_URL`). */
const apiEnv = <Prefix extends 'SOURCE' | 'ANALYTICS'>(
  prefix: Prefix,
  api: ApiAccess,
  r: PipelineResources,
) => ({
  STAGING_BUCKET: r.stagingBucket,
  SYNC_STATE_TABLE: r.syncStateTable,
  ...({ [`${prefix}_API_BASE_URL`]: api.baseUrl } as Record<`${Prefix}_API_BASE_URL`, string>),
  API_AUTH: api.auth,
  ...(api.tokenParameter === undefined ? {} : { API_TOKEN_PARAMETER: api.tokenParameter }),
});

const poller = (source: keyof typeof sources, name: 'poll-crm' | 'poll-inventory') =>
  define({
    name,
    entry: handlerEntry(name),
    description: `Polls ${sources[source].path} and publishes to ${sources[source].topic}`,
    envSchema: PollerEnvSchema,
    env: (r) => ({
      ...apiEnv('SOURCE', r.sourceApi, r),
      CUSTOMER_TOPIC: r.customerTopic,
      PRODUCT_TOPIC: r.productTopic,
    }),
    tunables: pipeline.poller,
    metrics: pollerMetrics,
    deadLetters: pollerMetrics.recordsInvalid,
    trigger: pipeline.schedules[name],
  });

export const pipelineFunctions = {
  pollCrm: poller('crm', functionNames.pollCrm),
  pollInventory: poller('inventory', functionNames.pollInventory),
  mergeConsumer: define({
    name: functionNames.mergeConsumer,
    entry: handlerEntry(functionNames.mergeConsumer),
    description: 'Validates, dedupes and stages Kafka records to S3',
    envSchema: MergeConsumerEnvSchema,
    env: (r) => ({ IDEMPOTENCY_TABLE: r.idempotencyTable, STAGING_BUCKET: r.stagingBucket }),
    tunables: pipeline.mergeConsumer,
    metrics: mergeConsumerMetrics,
    deadLetters: mergeConsumerMetrics.dlqMessages,
    trigger: { topics: (r) => [r.customerTopic, r.productTopic] },
  }),
  flush: define({
    name: functionNames.flush,
    entry: handlerEntry(functionNames.flush),
    description: 'Posts staged batches to Analytics; DLQ and redrive',
    envSchema: FlushEnvSchema,
    env: (r) => apiEnv('ANALYTICS', r.analyticsApi, r),
    tunables: pipeline.flush,
    metrics: flushMetrics,
    deadLetters: flushMetrics.dlqMessages,
    trigger: pipeline.schedules[functionNames.flush],
  }),
};
export type PipelineFunctionKey = keyof typeof pipelineFunctions;
export type PipelineFunctionSpec = (typeof pipelineFunctions)[PipelineFunctionKey];

/** A function's environment: its own variables, its DLQ topic and its Kafka client id. */
export function functionEnvironment(spec: PipelineFunctionSpec, resources: PipelineResources) {
  // Lambda takes string values only: a number (a tunable's input type allows one) fails here.
  return z.record(z.string(), z.string()).parse({
    ...spec.env(resources),
    DLQ_TOPIC: resources.dlqTopic,
    KAFKA_CLIENT_ID: `ecom-sync-${spec.name}`,
  });
}

/** What every function gets besides its own env: Powertools names and log level, Node flags. */
export const runtimeEnvironment = (name: string, logLevel: string) => ({
  POWERTOOLS_SERVICE_NAME: name,
  POWERTOOLS_METRICS_NAMESPACE: pipeline.metrics.namespace,
  POWERTOOLS_LOG_LEVEL: logLevel,
  // Source maps: stack traces point into the TypeScript sources. The warning: kafkajs 2.2.4 sets
  // negative timer delays, which Node clamps to 1 ms as it always did, but Node 24 also prints a
  // TimeoutNegativeWarning to stderr per client, where it reads as an error (tulios/kafkajs#1751,
  // open; the proposed fixes, #1755 and #1756, clamp the delay the same way).
  NODE_OPTIONS: '--enable-source-maps --disable-warning=TimeoutNegativeWarning',
});

/** Which functions emit each metric (a metric's stage total is the sum over them). */
export function metricEmitters(): Map<MetricName, PipelineFunctionSpec['name'][]> {
  const emitters = new Map<MetricName, PipelineFunctionSpec['name'][]>();
  for (const spec of Object.values(pipelineFunctions)) {
    for (const metric of Object.values(spec.metrics)) {
      emitters.set(metric, [...(emitters.get(metric) ?? []), spec.name]);
    }
  }
  return emitters;
}
