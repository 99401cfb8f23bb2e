/**
 * The one typed pipeline definition. `infra/` (CDK) and the local runtime (`localstack/`) both
 * import this object, so an AWS deployment and an offline run can never drift apart.
 * Handlers read their tunables from env (set by infra / the local runtime from these values).
 */

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
 * The Node.js major version the functions run on: Lambda's `nodejs<major>.x` runtime in infra, the
 * esbuild target, and the local Lambda runtime (the `node` devDependency puts this Node first on
 * the PATH of every npm script, so `npm start` and `npm test` run handlers on it).
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
  idempotency: { name: 'ecom-sync-idempotency', ttlAttribute: 'expiration' },
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
    timeoutSeconds: 300,
    memoryMb: 512,
  },
  aws: {
    /**
     * Retries of every AWS SDK call (DynamoDB, S3) the Lambdas make. The SDK's default, 3
     * attempts from a client-wide quota, is spent in about a second, so a DynamoDB or S3 restart
     * failed whole batches until the event source mapping's retries ran out and it dead-lettered
     * valid records (the dynamodb-restart and s3-restart chaos scenarios). Each call gets 10
     * attempts of its own (see aws-sdk-retry.ts) with full-jitter backoff capped at 10 s: about 21 s
     * of outage on average, 43 s at most, inside the merge-consumer's 120 s timeout.
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
     * Event source mapping controls. 2,000 records (~1.4 MB of event at ~0.7 KB per record, within
     * the 6 MB payload limit): a quarter of the staging objects, S3 requests and invocations of 500
     * (docs/benchmarks.md).
     */
    batchSize: 2000,
    maxBatchingWindowSeconds: 1,
    maximumRetryAttempts: 3,
    maximumRecordAgeSeconds: 86_400,
    bisectBatchOnFunctionError: true,
    reportBatchItemFailures: true,
    consumerGroupId: 'ecom-sync-merge-consumer',
    /**
     * Idempotency requests (BatchGetItem of 100 keys, BatchWriteItem of claimsPerRequest) and
     * staged-object reads in flight per invocation: a 2,000-record batch is 20 reads and, when
     * all of it is new, 80 claim writes.
     */
    idempotencyConcurrency: 4,
    /**
     * Claims per BatchWriteItem request (DynamoDB's limit is 25). Each new record version is one
     * unconditional put: 1 write unit on AWS, nothing else written (docs/DESIGN.md).
     */
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
 * Lambda requires a consumer group id to be unique per Kafka event source mapping, and a
 * mapping reads one topic: the pipeline's group id (or a test's) gets the topic appended. Infra
 * and the local emulator both name their groups with this.
 */
export function mergeConsumerGroupId(
  topic: string,
  groupIdPrefix: string = pipeline.mergeConsumer.consumerGroupId,
): string {
  return `${groupIdPrefix}-${topic}`;
}

/**
 * The metrics each function emits, under Powertools' `service` dimension (its name): its code
 * names every metric through its own object, and the registry (`functions.ts`) hands these to
 * the dashboards and alarms, so a chart or alarm cannot wait for a metric nobody emits.
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
/** Every metric a handler emits. */
export const metricNames = { ...pollerMetrics, ...mergeConsumerMetrics, ...flushMetrics } as const;
export type MetricName = (typeof metricNames)[keyof typeof metricNames];
