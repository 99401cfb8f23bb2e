/**
 * Scenario 4, second limit: how many idempotency claims DynamoDB Local accepts per second, in the
 * batched forms a claim protocol can use, with nothing else in the way.
 *
 * How it is measured: a fresh table with the Powertools idempotency schema (hash key `id`, on
 * demand) and items shaped like merge-consumer's INPROGRESS claim (hashed `id`, `expiration`,
 * `in_progress_expiration`, `status`, `stagingKey`). Three request styles, each at every
 * concurrency of a small sweep (default 1, 2, 4, 8, 16 requests in flight on one keep-alive
 * client), each run on key ranges of its own so every write is a first claim:
 * - `batchWrite`: BatchWriteItem of 25 claim puts (DynamoDB's maximum): the claim limit;
 * - `batchGet`: strongly consistent BatchGetItem of 100 keys (the maximum) of claims that exist:
 *   the read side of a read-before-claim protocol;
 * - `transactWrite`: TransactWriteItems of 100 conditional puts (attribute_not_exists), for
 *   comparison with the transactional claims.
 * The clock runs from the first request to the last answer; only accepted items count (an
 * unprocessed batch item or a cancelled transaction does not). A warm-up on other key ranges runs
 * first so the JIT is not billed to the first level. Each style's figure is its fastest level;
 * with the DynamoDB JVM's pid, also its CPU seconds per 1,000 items at that level (/proc). The
 * table is deleted afterwards. (Single conditional PutItem calls, the old limit, reach about an
 * eighth of the batched rate: docs/benchmarks.md.)
 */
import { createHash, randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { IdempotencyRecordStatus } from '@aws-lambda-powertools/idempotency';
import { functionNames, pipeline } from '../../lambdas/shared/pipeline';
import { batchIdFromOffsets, stagingKey } from '../../lambdas/shared/staging-format';
import { localCredentials } from '../../localstack/stack/endpoints';
import { processCpuSeconds } from '../instrumentation/process-cpu';
import { fastest, perSecond } from './rates';

export const requestStyles = ['batchWrite', 'batchGet', 'transactWrite'] as const;
export type RequestStyle = (typeof requestStyles)[number];
const itemsPerRequest: Record<RequestStyle, number> = {
  batchWrite: 25,
  batchGet: 100,
  transactWrite: 100,
};

export interface StyleLevel {
  concurrency: number;
  itemsPerSecond: number;
  seconds: number;
  /** Items the server did not take: unprocessed batch items, cancelled transactions' items. */
  refused: number;
  /** DynamoDB JVM CPU seconds per 1,000 items at this level (when its pid was given). */
  dynamodbCpuSecondsPer1000Items?: number;
}

export interface StyleResult extends StyleLevel {
  itemsPerRequest: number;
  byConcurrency: StyleLevel[];
}

export interface RawDynamoResult {
  /** Items per concurrency level and style. */
  items: number;
  styles: Record<RequestStyle, StyleResult>;
  /** The claim limit: batched claim writes per second (batchWrite at its best concurrency). */
  claimWritesPerSecond: number;
}

export interface RawDynamoOptions {
  endpoint: string;
  region: string;
  /** Items per concurrency level and style. */
  items: number;
  /** Default [1, 2, 4, 8, 16]. */
  concurrencies?: number[];
  /** DynamoDB Local's pid, for its CPU per item. */
  dynamodbPid?: number;
}

const defaultConcurrencies = [1, 2, 4, 8, 16];

export async function measureRawDynamodb(options: RawDynamoOptions): Promise<RawDynamoResult> {
  const concurrencies = options.concurrencies ?? defaultConcurrencies;
  if (!Number.isInteger(options.items) || options.items < 100) {
    throw new Error(`items must be an integer of at least 100, got ${options.items}`);
  }
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(...concurrencies) });
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: localCredentials,
    requestHandler: { httpAgent: agent },
  });
  const table = `bench-raw-claims-${randomUUID().slice(0, 8)}`;
  const now = new Date();
  const key = (range: string, index: number) => inProgressClaimItem(`${range}#${index}`, now).id;
  /** Sends request `index` of a style on `range`; resolves to the items the server refused. */
  const send: Record<RequestStyle, (range: string, index: number) => Promise<number>> = {
    batchWrite: async (range, index) => {
      const puts = Array.from({ length: 25 }, (_, k) => ({
        PutRequest: { Item: inProgressClaimItem(`${range}#${index * 25 + k}`, now) },
      }));
      const answer = await client.send(
        new BatchWriteItemCommand({ RequestItems: { [table]: puts } }),
      );
      return answer.UnprocessedItems?.[table]?.length ?? 0;
    },
    // Reads back what the batchWrite level of the same concurrency wrote.
    batchGet: async (range, index) => {
      const keys = Array.from({ length: 100 }, (_, k) => ({
        id: key(range.replace('get', 'write'), index * 100 + k)!,
      }));
      const answer = await client.send(
        new BatchGetItemCommand({
          RequestItems: { [table]: { Keys: keys, ConsistentRead: true } },
        }),
      );
      return answer.UnprocessedKeys?.[table]?.Keys?.length ?? 0;
    },
    transactWrite: async (range, index) => {
      try {
        await client.send(
          new TransactWriteItemsCommand({
            TransactItems: Array.from({ length: 100 }, (_, k) => ({
              Put: {
                TableName: table,
                Item: inProgressClaimItem(`${range}#${index * 100 + k}`, now),
                ConditionExpression: 'attribute_not_exists(id)',
              },
            })),
          }),
        );
        return 0;
      } catch (error) {
        if (error instanceof TransactionCanceledException) return 100;
        throw error;
      }
    },
  };
  const level = async (style: RequestStyle, range: string, concurrency: number) => {
    const requests = Math.ceil(options.items / itemsPerRequest[style]);
    const cpuBefore = options.dynamodbPid && processCpuSeconds(options.dynamodbPid);
    let next = 0;
    let refused = 0;
    const worker = async (): Promise<void> => {
      while (next < requests) refused += await send[style](range, next++);
    };
    const startMs = performance.now();
    await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, worker));
    const elapsedMs = performance.now() - startMs;
    const accepted = requests * itemsPerRequest[style] - refused;
    const cpuAfter = options.dynamodbPid && processCpuSeconds(options.dynamodbPid);
    return {
      concurrency,
      itemsPerSecond: perSecond(accepted, elapsedMs),
      seconds: elapsedMs / 1000,
      refused,
      ...(cpuBefore && cpuAfter
        ? { dynamodbCpuSecondsPer1000Items: ((cpuAfter - cpuBefore) / accepted) * 1000 }
        : {}),
    };
  };
  try {
    await createIdempotencyTable(client, table);
    // Warm-up: the JIT and the table's code paths for each style.
    for (const style of requestStyles) await level(style, `warm-${style}`, 4);
    const styles = {} as Record<RequestStyle, StyleResult>;
    for (const style of requestStyles) {
      const byConcurrency: StyleLevel[] = [];
      for (const concurrency of concurrencies) {
        const range = `${style === 'batchGet' ? 'get' : style === 'batchWrite' ? 'write' : 'tx'}-c${concurrency}`;
        byConcurrency.push(await level(style, range, concurrency));
      }
      const best = fastest(byConcurrency, (run) => run.itemsPerSecond);
      styles[style] = { ...best, itemsPerRequest: itemsPerRequest[style], byConcurrency };
    }
    return { items: options.items, styles, claimWritesPerSecond: styles.batchWrite.itemsPerSecond };
  } finally {
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
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
