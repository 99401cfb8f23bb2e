/** Scenario 5, the replaced Java/Python design: one message at a time (docs/benchmarks.md). */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  ConditionalCheckFailedException,
  DeleteTableCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { startMockApiServer } from '../../lambdas/mock-apis/local-server';
import type { AnalyticsPayload } from '../../lambdas/shared/analytics-payload';
import type { Envelope } from '../../lambdas/shared/envelope';
import { EnvelopeSchema, recordVersionKey } from '../../lambdas/shared/envelope';
import { pipeline, tables } from '../../lambdas/shared/pipeline';
import { topicMessageCount } from '../../localstack/start-pipeline';
import type { StackEndpoints } from '../../localstack/stack/endpoints';
import {
  countAwsSdkRequests,
  countingFetch,
  countKafkaRequests,
  RequestTally,
} from '../instrumentation/counters';
import { benchKafka, deferred, perSecond, withinTimeout } from '../limits/kafka';
import { localDynamodb } from '../limits/raw-dynamodb';
import { createTableIfMissing } from '../../localstack/stack/provision';
import { parseJson } from '../../lambdas/shared/config';
import { summarizeRequests } from '../report/request-summary';

export type BaselineResult = Awaited<ReturnType<typeof runPerRecordBaseline>>;

export function singleRecordPayload(
  envelope: Envelope,
  position: { topic: string; partition: number; offset: string },
  now: Date,
): AnalyticsPayload {
  const customer = envelope.eventType === 'CUSTOMER';
  return {
    eventId: `baseline#${recordVersionKey(envelope)}`,
    timestamp: now.toISOString(),
    customers: customer ? [envelope.payload] : [],
    products: customer ? [] : [envelope.payload],
    deletedCustomers: [],
    deletedProducts: [],
    metadata: {
      source: envelope.source,
      customerCount: customer ? 1 : 0,
      productCount: customer ? 0 : 1,
      batchIds: [`${position.topic}-${position.partition}:${position.offset}`],
    },
  };
}

export async function runPerRecordBaseline(options: {
  endpoints: StackEndpoints;
  topics: string[];
  /** At most (fewer if the topics hold fewer). */
  records: number;
  /** For the consume loop (default 600 s). */
  timeoutMs?: number;
}) {
  const { endpoints } = options;
  const kafka = benchKafka(endpoints.kafkaBrokers, 'bench-baseline');
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `bench-baseline-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const dynamodb = localDynamodb(endpoints.dynamodbEndpoint, endpoints.region);
  const TableName = `bench-baseline-idempotency-${randomUUID().slice(0, 8)}`;
  const analytics = await startMockApiServer({
    customers: 0,
    products: 0,
    logger: new Logger({ serviceName: 'baseline-analytics', logLevel: 'SILENT' }),
  });
  try {
    let held = 0;
    for (const topic of options.topics) held += await topicMessageCount(admin, topic);
    const target = Math.min(options.records, held);
    await createTableIfMissing(dynamodb, TableName, tables.idempotency.partitionKey);
    // Attached once the table exists: only the per-record work is counted.
    const tally = new RequestTally();
    countAwsSdkRequests(dynamodb, tally);
    countKafkaRequests(consumer, tally);
    const post = countingFetch(tally);

    const claim = async (versionKey: string): Promise<boolean> => {
      const expiration =
        Math.floor(Date.now() / 1000) + pipeline.mergeConsumer.idempotencyTtlSeconds;
      const Item = {
        id: { S: versionKey },
        status: { S: 'COMPLETED' },
        expiration: { N: String(expiration) },
      };
      try {
        await dynamodb.send(
          new PutItemCommand({ TableName, Item, ConditionExpression: 'attribute_not_exists(id)' }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    };
    let processed = 0;
    let duplicatesSkipped = 0;
    let invalidSkipped = 0;
    let startMs: number | undefined;
    let endMs: number | undefined;
    const { promise: done, resolve, reject } = deferred();
    consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
    if (target > 0) {
      await consumer.connect();
      await consumer.subscribe({ topics: options.topics, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          if (processed >= target) return;
          startMs ??= performance.now();
          try {
            const text = message.value?.toString('utf8') ?? '';
            const read = parseJson(EnvelopeSchema, text, 'EnvelopeSchema');
            if (!('data' in read)) invalidSkipped++;
            else if (!(await claim(recordVersionKey(read.data)))) duplicatesSkipped++;
            else {
              const position = { topic, partition, offset: message.offset };
              const payload = singleRecordPayload(read.data, position, new Date());
              const response = await post(`${analytics.url}/analytics/data`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', 'idempotency-key': payload.eventId },
                body: JSON.stringify(payload),
                signal: AbortSignal.timeout(pipeline.http.timeoutMs),
              });
              if (!response.ok) throw new Error(`baseline POST answered HTTP ${response.status}`);
            }
            const offset = (BigInt(message.offset) + 1n).toString();
            await consumer.commitOffsets([{ topic, partition, offset }]);
          } catch (error) {
            // A failure ends the measurement instead of letting kafkajs redeliver and skew the count.
            processed = target;
            reject(error);
            return;
          }
          if (++processed === target) {
            endMs = performance.now();
            resolve();
          }
        },
      });
      const timeoutMs = options.timeoutMs ?? 600_000;
      const late = () => `baseline processed ${processed}/${target} messages in ${timeoutMs} ms`;
      await withinTimeout(done, timeoutMs, late);
    }
    const stats = analytics.state.analytics.getStats();
    const elapsedMs = (endMs ?? 0) - (startMs ?? 0);
    return {
      records: processed,
      seconds: elapsedMs / 1000,
      recordsPerSecond: perSecond(processed, elapsedMs),
      requests: summarizeRequests(tally.snapshot(), 0),
      duplicatesSkipped,
      /** Committed and skipped, as the old design did. */
      invalidSkipped,
      analyticsUnique: stats.uniqueVersions,
      analyticsStats: stats,
      note: `ran on the first ${processed} records of scenario 1's topics; its records/s is a steady-state per-record rate`,
    };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await dynamodb.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
    dynamodb.destroy();
    await analytics.close().catch(() => undefined);
  }
}
