/**
 * Scenario 4, second limit: how many idempotency claims DynamoDB Local accepts per second, with
 * nothing else in the way.
 *
 * How it is measured: a fresh table with the Powertools idempotency schema (hash key `id`, on
 * demand). Each put writes an item shaped like the INPROGRESS claim merge-consumer writes (hashed
 * `id`, `expiration`, `in_progress_expiration`, `status`, `stagingKey`: about the same bytes) with
 * ConditionExpression attribute_not_exists(id). For each concurrency, that many workers share one
 * keep-alive client (enough sockets for all of them) and put `puts` items of a key range of their
 * own, so every put is a first claim that must be accepted; the clock runs from the first put to
 * the last answer. A short warm-up on yet another key range runs first so the JVM's JIT is not
 * billed to the first concurrency. The top-level figures are the fastest concurrency's: that is
 * the limit. The table is deleted afterwards.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { IdempotencyRecordStatus } from '@aws-lambda-powertools/idempotency';
import { functionNames, pipeline } from '../../lambdas/shared/pipeline';
import { batchIdFromOffsets, stagingKey } from '../../lambdas/shared/staging-format';
import { localCredentials } from '../../localstack/stack/endpoints';
import type { Interval } from './rates';
import { fastest, rateOver, seconds } from './rates';

export interface RawDynamoResult {
  puts: number;
  seconds: number;
  putsPerSecond: number;
  concurrency: number;
  byConcurrency: Array<{
    concurrency: number;
    putsPerSecond: number;
    seconds?: number;
    /** Puts refused by the condition: 0 unless a key range was not fresh. */
    rejected?: number;
  }>;
}

export interface RawConditionalPutsOptions {
  endpoint: string;
  region: string;
  /** Puts per concurrency. */
  puts: number;
  /** Default [16, 48, 96]: single conditional puts are round-trip bound, so the limit needs many in flight. */
  concurrencies?: number[];
  /** Default min(500, puts); 0 skips the warm-up. */
  warmUpPuts?: number;
}

const defaultConcurrencies = [16, 48, 96];

export async function measureRawConditionalPuts(
  options: RawConditionalPutsOptions,
): Promise<RawDynamoResult> {
  const concurrencies = options.concurrencies ?? defaultConcurrencies;
  if (!Number.isInteger(options.puts) || options.puts < 1) {
    throw new Error(`puts must be a positive integer, got ${options.puts}`);
  }
  if (concurrencies.length === 0 || concurrencies.some((c) => !Number.isInteger(c) || c < 1)) {
    throw new Error(`concurrencies must be positive integers, got [${concurrencies.join(', ')}]`);
  }
  // The SDK's default agent allows 50 sockets: more workers would queue in the client, not the server.
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(...concurrencies) });
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: localCredentials,
    requestHandler: { httpAgent: agent },
  });
  const tableName = `bench-raw-puts-${randomUUID().slice(0, 8)}`;
  try {
    await createIdempotencyTable(client, tableName);
    const warmUpPuts = options.warmUpPuts ?? Math.min(500, options.puts);
    if (warmUpPuts > 0) {
      await timedPuts(client, tableName, {
        keyRange: 'warm-up',
        puts: warmUpPuts,
        concurrency: concurrencies[0] ?? 1,
      });
    }
    const byConcurrency: RawDynamoResult['byConcurrency'] = [];
    for (const concurrency of concurrencies) {
      const run = await timedPuts(client, tableName, {
        keyRange: `c${concurrency}`,
        puts: options.puts,
        concurrency,
      });
      byConcurrency.push({
        concurrency,
        putsPerSecond: rateOver(run.accepted, run.interval),
        seconds: seconds(run.interval),
        rejected: run.rejected,
      });
    }
    const best = fastest(byConcurrency, (run) => run.putsPerSecond);
    return {
      puts: options.puts,
      seconds: best.seconds ?? 0,
      putsPerSecond: best.putsPerSecond,
      concurrency: best.concurrency,
      byConcurrency,
    };
  } finally {
    await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    client.destroy();
    agent.destroy();
  }
}

/** A table with the Powertools idempotency key schema (`id`), on demand; resolves once it exists. */
export async function createIdempotencyTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
}

interface PutRun {
  keyRange: string;
  puts: number;
  concurrency: number;
}

async function timedPuts(
  client: DynamoDBClient,
  tableName: string,
  run: PutRun,
): Promise<{ accepted: number; rejected: number; interval: Interval }> {
  const now = new Date();
  let next = 0;
  let accepted = 0;
  let rejected = 0;
  const worker = async (): Promise<void> => {
    while (next < run.puts) {
      const index = next++;
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: inProgressClaimItem(`${run.keyRange}#${index}`, now),
            ConditionExpression: 'attribute_not_exists(id)',
          }),
        );
        accepted++;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        rejected++;
      }
    }
  };
  const startMs = performance.now();
  await Promise.all(Array.from({ length: Math.min(run.concurrency, run.puts) }, worker));
  return { accepted, rejected, interval: { startMs, endMs: performance.now() } };
}

/**
 * An item like the INPROGRESS claim StagingClaimPersistenceLayer writes: Powertools' hashed key
 * (`<function>#<md5 base64>`), its expiry attributes and the staging object the claim belongs to.
 */
export function inProgressClaimItem(seed: string, now: Date): Record<string, AttributeValue> {
  const hash = createHash('md5').update(JSON.stringify(seed)).digest('base64');
  const batchId = batchIdFromOffsets([
    { topic: 'customer_data', partition: 0, firstOffset: seed, lastOffset: seed },
  ]);
  const nowMs = now.getTime();
  return {
    id: { S: `${functionNames.mergeConsumer}#${hash}` },
    expiration: {
      N: String(Math.floor(nowMs / 1000) + pipeline.mergeConsumer.idempotencyTtlSeconds),
    },
    in_progress_expiration: {
      N: String(nowMs + pipeline.mergeConsumer.timeoutSeconds * 1000),
    },
    status: { S: IdempotencyRecordStatus.INPROGRESS },
    stagingKey: { S: stagingKey(batchId, now) },
  };
}
