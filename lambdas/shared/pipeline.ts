/** The one typed pipeline definition: infra and the local runtime both set handlers' env from it. */

export const topics = {
  customers: 'customer_data',
  products: 'inventory_data',
  dlq: 'analytics_dlq',
} as const;
export type TopicName = (typeof topics)[keyof typeof topics];

export const sources = {
  crm: {
    source: 'crm',
    eventType: 'CUSTOMER',
    topic: topics.customers,
    /** Path on the source API base URL. */
    path: '/crm/customers',
  },
  inventory: {
    source: 'inventory',
    eventType: 'PRODUCT',
    topic: topics.products,
    path: '/inventory/products',
  },
} as const;
export type SourceName = keyof typeof sources;
export type EventType = (typeof sources)[SourceName]['eventType'];

/**
 * The functions' Node.js major: Lambda's `nodejs<major>.x` runtime, the esbuild target and the
 * local runtime (the `node` devDependency puts it first on every npm script's PATH).
 */
export const lambdaNodeMajor = 24;

export const functionNames = {
  pollCrm: 'poll-crm',
  pollInventory: 'poll-inventory',
  mergeConsumer: 'merge-consumer',
  flush: 'flush',
  mockApis: 'mock-apis',
} as const;
export type FunctionKey = keyof typeof functionNames;

export const tables = {
  /** Powertools' DynamoDBPersistenceLayer attributes: key `id`, TTL `expiration`. */
  idempotency: { name: 'ecom-sync-idempotency', partitionKey: 'id', ttlAttribute: 'expiration' },
  syncState: { name: 'ecom-sync-sync-state', partitionKey: 'source' },
} as const;

export const staging = {
  bucket: 'ecom-sync-staging',
  prefixes: {
    staging: 'staging/',
    delivered: 'delivered/',
    dlq: 'dlq/',
    /** flush: the grouping of a payload, written before its POST so a crash-restart re-posts it unchanged. */
    outbox: 'outbox/',
  },
  /** The pollers': the ids each source is known to hold (lambdas/poller/known-ids.ts). */
  knownIds: 'ids/',
} as const;

export const pipeline = {
  topics: {
    [topics.customers]: { partitions: 3, retentionHours: 168 },
    [topics.products]: { partitions: 3, retentionHours: 168 },
    [topics.dlq]: { partitions: 1, retentionHours: 336 },
  },
  schedules: {
    /** EventBridge rate expressions in AWS; the local runtime scales them down. */
    [functionNames.pollCrm]: { rateMinutes: 5 },
    [functionNames.pollInventory]: { rateMinutes: 5 },
    [functionNames.flush]: { rateMinutes: 1 },
  },
  poller: {
    pageSize: 500,
    /** Incremental polls ask for `updatedSince = watermark - overlap`; the consumer dedupes it. */
    overlapSeconds: 60,
    /** Stop paging when less than this much invocation time is left, and save the cursor. */
    deadlineMarginMs: 10_000,
    /** Messages per kafkajs `send` call. */
    sendBatchSize: 500,
    /** An `updatedAt` later than now + this is dead-lettered and never moves the watermark. */
    maxClockSkewSeconds: 300,
    /** A full listing's last invocation completes it only with this much time left (at 1M ids, DESIGN.md). */
    listingCompletionMs: 60_000,
    timeoutSeconds: 300,
    memoryMb: 512,
  },
  aws: {
    /**
     * Retries of every AWS SDK call (aws-sdk-retry.ts says why not the SDK's default; the
     * dynamodb-restart and s3-restart chaos scenarios). 10 attempts per call, full jitter capped
     * at 10 s: ~21 s of outage on average, 43 s at most, inside the merge-consumer's 120 s timeout.
     */
    sdkRetry: { maxAttempts: 10, baseDelayMs: 200, maxDelayMs: 10_000 },
  },
  http: {
    timeoutMs: 10_000,
    maxAttempts: 5,
    baseDelayMs: 200,
    maxDelayMs: 10_000,
    /** Consecutive failures that open the circuit breaker. */
    breakerThreshold: 5,
    breakerCooldownMs: 30_000,
  },
  mergeConsumer: {
    /**
     * Event source mapping controls. 2,000 records (~1.4 MB of event, within the 6 MB limit): a
     * quarter of the staging objects, S3 requests and invocations of 500 (docs/benchmarks.md).
     */
    batchSize: 2000,
    maxBatchingWindowSeconds: 1,
    maximumRetryAttempts: 3,
    maximumRecordAgeSeconds: 86_400,
    bisectBatchOnFunctionError: true,
    reportBatchItemFailures: true,
    consumerGroupId: 'ecom-sync-merge-consumer',
    /** Idempotency requests and staged-object reads in flight per invocation. */
    idempotencyConcurrency: 4,
    /** Claims per BatchWriteItem (at most 25): one unconditional put, 1 WRU, per new version. */
    claimsPerRequest: 25,
    idempotencyTtlSeconds: 7 * 24 * 3600,
    timeoutSeconds: 120,
    memoryMb: 1024,
  },
  flush: {
    maxRecordsPerPost: 5_000,
    maxBytesPerPost: 4 * 1024 * 1024,
    maxAttempts: 6,
    baseDelayMs: 500,
    maxDelayMs: 20_000,
    /** Leave this much of the invocation for parking batches in dlq/ after the last attempt. */
    deadlineMarginMs: 15_000,
    reservedConcurrency: 1,
    timeoutSeconds: 300,
    memoryMb: 1024,
  },
  metrics: {
    namespace: 'EcomSync',
  },
} as const;

/**
 * Lambda requires a consumer group id unique per Kafka event source mapping, and a mapping reads
 * one topic: infra and the local emulator append the topic to the group id.
 */
export function mergeConsumerGroupId(
  topic: string,
  groupIdPrefix: string = pipeline.mergeConsumer.consumerGroupId,
): string {
  return `${groupIdPrefix}-${topic}`;
}

/**
 * A replay's own group, `<mapping's group>-replay`: a second mapping reads with it. One name per
 * topic, so one replay at a time (a group in use cannot be reset, nor named by a second mapping).
 */
export const replayGroupId = (mappingGroupId: string): string => `${mappingGroupId}-replay`;
export const replayGroupPattern = /^[\w.-]+-replay$/;

/** Whose committed offsets on the DLQ topic mark what `dlq redrive` has redriven (flush/dlq-topic.ts). */
export function dlqRedriveGroupId(dlqTopic: string = topics.dlq): string {
  return `ecom-sync-redrive-${dlqTopic}`;
}

/**
 * The metrics each function emits (Powertools' `service` dimension = its name), named through
 * these objects; the registry (`functions.ts`) hands them to dashboards and alarms.
 */
export const pollerMetrics = {
  recordsFetched: 'RecordsFetched',
  recordsPublished: 'RecordsPublished',
  recordsInvalid: 'RecordsInvalid',
  pagesFetched: 'PagesFetched',
  apiErrors: 'ApiErrors',
  apiRetries: 'ApiRetries',
  circuitOpened: 'CircuitOpened',
  cursorReset: 'CursorReset',
  pollDurationMs: 'PollDuration',
} as const;
export const mergeConsumerMetrics = {
  recordsReceived: 'RecordsReceived',
  recordsInvalid: 'RecordsInvalid',
  recordsDuplicate: 'RecordsDuplicate',
  recordsStaged: 'RecordsStaged',
  batchesStaged: 'BatchesStaged',
  dlqMessages: 'DlqMessages',
} as const;
export const flushMetrics = {
  recordsDelivered: 'RecordsDelivered',
  batchesDelivered: 'BatchesDelivered',
  analyticsPosts: 'AnalyticsPosts',
  flushLatencyMs: 'FlushLatency',
  dlqMessages: 'DlqMessages',
  batchesParked: 'BatchesParked',
  batchesRedriven: 'BatchesRedriven',
  oldestStagedBatchAgeSeconds: 'OldestStagedBatchAge',
} as const;
export const metricNames = { ...pollerMetrics, ...mergeConsumerMetrics, ...flushMetrics } as const;
export type MetricName = (typeof metricNames)[keyof typeof metricNames];
