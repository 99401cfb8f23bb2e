/**
 * Scenario 5: the replaced Java/Python design as a reference, run on the pipeline's own messages.
 *
 * How it is measured: one kafkajs consumer (fresh group, fromBeginning, eachMessage, one
 * partition at a time, auto-commit off) does what the old Python consumer did for every message,
 * one after another: parse the envelope (EnvelopeSchema), claim its ONE idempotency key
 * (recordVersionKey) with a conditional PutItem into a fresh table of its own, skip the message if
 * the key exists, else POST that record alone to Analytics (flush's own poster and HTTP client,
 * Idempotency-Key = the version), then commit the message's offset. Analytics is a mock of its
 * own (no source data, quiet logger), so its /analytics/stats count only the baseline's POSTs.
 * It stops after `records` messages (or all the topics held when it started, if fewer); the clock
 * runs from the first message received to the last offset committed, so the group join is not
 * counted. Requests are counted at the clients (SDK middleware, kafkajs REQUEST events, a counting
 * fetch), never derived from the record count. The table, server and consumer are cleaned up.
 */
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  ConditionalCheckFailedException,
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Admin, Consumer, EachMessagePayload } from 'kafkajs';
import type { AnalyticsPoster } from '../../lambdas/flush/analytics-poster';
import { createAnalyticsPoster } from '../../lambdas/flush/analytics-poster';
import type { MockApiServer } from '../../lambdas/mock-apis/local-server';
import { startMockApiServer } from '../../lambdas/mock-apis/local-server';
import type { AnalyticsStats } from '../../lambdas/shared/analytics-payload';
import { AnalyticsStatsSchema } from '../../lambdas/shared/analytics-payload';
import type { Envelope } from '../../lambdas/shared/envelope';
import { EnvelopeSchema, recordVersionKey } from '../../lambdas/shared/envelope';
import { HttpClient } from '../../lambdas/shared/http-client';
import { pipeline } from '../../lambdas/shared/pipeline';
import type { StackEndpoints } from '../../localstack/stack/endpoints';
import { localCredentials } from '../../localstack/stack/endpoints';
import {
  benchKafka,
  completion,
  groupJoined,
  throwawayGroupId,
  withinTimeout,
} from '../limits/bench-kafka';
import { createIdempotencyTable } from '../limits/raw-dynamodb';
import { rateOver, seconds } from '../limits/rates';
import type { BaselineRequests } from './request-counters';
import { countBaselineRequests } from './request-counters';
import { singleRecordPayload } from './single-record-payload';

export interface BaselineResult {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  requests: BaselineRequests;
  duplicatesSkipped: number;
  /** Distinct record versions the mock Analytics received (`uniqueVersions` of its stats). */
  analyticsUnique: number;
  /** Messages whose envelope did not parse or validate: committed and skipped, as before. */
  invalidSkipped?: number;
  /** The mock Analytics' own stats after the run. */
  analyticsStats?: AnalyticsStats;
  /** Where the time went, summed over all messages: the three round trips of every record. */
  timeByStepMs?: StepTimes;
}

export interface StepTimes {
  /** Conditional PutItem of the record's version key. */
  claim: number;
  /** POST of the one record to Analytics. */
  post: number;
  /** Commit of the message's offset. */
  commit: number;
}

export interface PerRecordBaselineOptions {
  endpoints: StackEndpoints;
  topics: string[];
  /** Stop after this many messages. */
  records: number;
  /** Default 600 s for the consume loop, setup excluded. */
  timeoutMs?: number;
}

/** What the loop has done so far. */
interface LoopState {
  target: number;
  processed: number;
  duplicatesSkipped: number;
  invalidSkipped: number;
  startMs: number | undefined;
  endMs: number | undefined;
  timeByStepMs: StepTimes;
  /** Set on the first failure: the remaining messages are left alone. */
  failed: boolean;
}

/** The clients one message goes through. */
interface RecordPath {
  dynamodb: DynamoDBClient;
  tableName: string;
  poster: AnalyticsPoster;
  consumer: Consumer;
}

const postTimeoutMs = 30_000;

export async function runPerRecordBaseline(
  options: PerRecordBaselineOptions,
): Promise<BaselineResult> {
  const timeoutMs = options.timeoutMs ?? 600_000;
  const kafka = benchKafka(options.endpoints.kafkaBrokers, 'bench-baseline');
  const admin = kafka.admin();
  await admin.connect();
  const groupId = throwawayGroupId('bench-baseline');
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const agent = new Agent({ keepAlive: true });
  const dynamodb = new DynamoDBClient({
    endpoint: options.endpoints.dynamodbEndpoint,
    region: options.endpoints.region,
    credentials: localCredentials,
    requestHandler: { httpAgent: agent },
  });
  const tableName = `bench-baseline-idempotency-${randomUUID().slice(0, 8)}`;
  let analytics: MockApiServer | undefined;
  try {
    const target = Math.min(options.records, await messagesHeld(admin, options.topics));
    await createIdempotencyTable(dynamodb, tableName);
    analytics = await startMockApiServer({
      customers: 0,
      products: 0,
      logger: new Logger({ serviceName: 'baseline-analytics', logLevel: 'SILENT' }),
    });
    // Attached once the table exists: only the per-record claims are counted.
    const counters = countBaselineRequests({ dynamodb, consumer });
    const poster = createAnalyticsPoster({
      http: new HttpClient({ ...flushHttpSettings, fetchImpl: counters.fetch }),
      baseUrl: analytics.url,
      maxAttempts: pipeline.flush.maxAttempts,
    });
    const state: LoopState = {
      target,
      processed: 0,
      duplicatesSkipped: 0,
      invalidSkipped: 0,
      startMs: undefined,
      endMs: undefined,
      timeByStepMs: { claim: 0, post: 0, commit: 0 },
      failed: false,
    };
    if (target > 0) {
      const { targetReached } = await startLoop(
        { dynamodb, tableName, poster, consumer },
        options.topics,
        state,
      );
      await withinTimeout(
        targetReached,
        timeoutMs,
        () => `baseline processed ${state.processed}/${target} messages within ${timeoutMs} ms`,
      );
    }
    const requests = counters.requests();
    const stats = await readStats(analytics.url);
    const interval = { startMs: state.startMs ?? 0, endMs: state.endMs ?? state.startMs ?? 0 };
    return {
      records: state.processed,
      seconds: seconds(interval),
      recordsPerSecond: state.processed === 0 ? 0 : rateOver(state.processed, interval),
      requests,
      duplicatesSkipped: state.duplicatesSkipped,
      analyticsUnique: stats.uniqueVersions,
      invalidSkipped: state.invalidSkipped,
      analyticsStats: stats,
      timeByStepMs: state.timeByStepMs,
    };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    dynamodb.destroy();
    agent.destroy();
    await analytics?.close().catch(() => undefined);
  }
}

/** flush's HTTP settings (pipeline.ts), so a POST is retried the way flush would retry it. */
const flushHttpSettings = {
  timeoutMs: pipeline.http.timeoutMs,
  maxAttempts: pipeline.flush.maxAttempts,
  baseDelayMs: pipeline.flush.baseDelayMs,
  maxDelayMs: pipeline.flush.maxDelayMs,
};

/** Messages between the low and high watermarks of every partition, now. */
async function messagesHeld(admin: Admin, topics: readonly string[]): Promise<number> {
  let held = 0;
  for (const topic of topics) {
    for (const { low, high } of await admin.fetchTopicOffsets(topic)) {
      held += Number(high) - Number(low);
    }
  }
  return held;
}

/** Starts the consumer; resolves once it owns its partitions, with a promise of "target reached". */
async function startLoop(
  path: RecordPath,
  topics: readonly string[],
  state: LoopState,
): Promise<{ targetReached: Promise<void> }> {
  const { consumer } = path;
  const done = completion<void>();
  consumer.on(consumer.events.CRASH, ({ payload }) => done.reject(payload.error));
  const joined = groupJoined(consumer, 60_000);
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async (message) => {
      if (state.failed || state.processed >= state.target) return;
      state.startMs ??= performance.now();
      try {
        await handleOneMessage(path, message, state);
        await timed(state, 'commit', () =>
          consumer.commitOffsets([
            {
              topic: message.topic,
              partition: message.partition,
              offset: (BigInt(message.message.offset) + 1n).toString(),
            },
          ]),
        );
      } catch (error) {
        // A failure ends the measurement instead of letting kafkajs redeliver and skew the count.
        state.failed = true;
        done.reject(error);
        return;
      }
      state.processed++;
      if (state.processed === state.target) {
        state.endMs = performance.now();
        done.resolve();
      }
    },
  });
  await joined;
  return { targetReached: done.promise };
}

/** Parse, claim the one key, POST the one record: the old design's work for a message. */
async function handleOneMessage(
  path: RecordPath,
  { topic, partition, message }: EachMessagePayload,
  state: LoopState,
): Promise<void> {
  const envelope = parseEnvelope(message.value);
  if (envelope === undefined) {
    state.invalidSkipped++;
    return;
  }
  const versionKey = recordVersionKey(envelope);
  if (!(await timed(state, 'claim', () => claimKey(path, versionKey)))) {
    state.duplicatesSkipped++;
    return;
  }
  const payload = singleRecordPayload(
    envelope,
    { topic, partition, offset: message.offset },
    new Date(),
  );
  const outcome = await timed(state, 'post', () =>
    path.poster.post(payload, Date.now() + postTimeoutMs),
  );
  if (!outcome.delivered) {
    throw new Error(`baseline POST of ${versionKey} failed: ${outcome.reason}`);
  }
}

async function timed<T>(
  state: LoopState,
  step: keyof StepTimes,
  work: () => Promise<T>,
): Promise<T> {
  const startMs = performance.now();
  try {
    return await work();
  } finally {
    state.timeByStepMs[step] += performance.now() - startMs;
  }
}

function parseEnvelope(value: Buffer | null): Envelope | undefined {
  if (value === null) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = EnvelopeSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** true if the key was new (ours to deliver), false if an earlier message claimed it. */
async function claimKey(path: RecordPath, versionKey: string): Promise<boolean> {
  try {
    await path.dynamodb.send(
      new PutItemCommand({
        TableName: path.tableName,
        Item: {
          id: { S: versionKey },
          status: { S: 'COMPLETED' },
          expiration: {
            N: String(Math.floor(Date.now() / 1000) + pipeline.mergeConsumer.idempotencyTtlSeconds),
          },
        },
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

async function readStats(baseUrl: string): Promise<AnalyticsStats> {
  const response = await fetch(`${baseUrl}/analytics/stats`);
  if (!response.ok) throw new Error(`GET /analytics/stats answered HTTP ${response.status}`);
  return AnalyticsStatsSchema.parse(await response.json());
}
