/**
 * The DynamoDB Local reference figures the merge-consumer is measured against: items/s of
 * conditional claim writes shaped like the idempotency items, by request style and concurrency,
 * with the CPU seconds per 1,000 items of the DynamoDB JVM and of this Node client.
 *
 *   npx tsx bench/profile/dynamodb-limits.ts [--items 6000] [--endpoint http://127.0.0.1:8000]
 *
 * Without --endpoint it starts its own local stack (and stops it).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { AttributeValue, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { localCredentials } from '../../localstack/stack/endpoints';
import type { RunningStack } from '../../localstack/stack';
import { startLocalStack } from '../../localstack/stack';
import { ProcessCpuMeter } from './process-cpu';

const { values: args } = parseArgs({
  options: {
    items: { type: 'string', default: '6000' },
    endpoint: { type: 'string' },
    'dynamodb-pid': { type: 'string' },
  },
});
const itemsPerCase = Number(args.items);

let stack: RunningStack | undefined;
let endpoint = args.endpoint;
let dynamodbPid = args['dynamodb-pid'] === undefined ? undefined : Number(args['dynamodb-pid']);
if (endpoint === undefined) {
  stack = await startLocalStack({ log: (line) => console.error(`[stack] ${line}`) });
  endpoint = stack.endpoints.dynamodbEndpoint;
  dynamodbPid = stack.processes.servers.dynamodb;
}
const client = new DynamoDBClient({
  endpoint,
  region: 'us-east-1',
  credentials: localCredentials,
});

/** The claim item as StagingClaimPersistenceLayer writes it. */
function claimItem(id: string): Record<string, AttributeValue> {
  const now = Date.now();
  return {
    id: { S: `merge-consumer#${id}` },
    status: { S: 'INPROGRESS' },
    expiration: { N: String(Math.round(now / 1000) + 7 * 24 * 3600) },
    in_progress_expiration: { N: String(now + 120_000) },
    stagingKey: { S: `staging/2026/11/23/${'0'.repeat(32)}.json` },
  };
}
const claimCondition = {
  ConditionExpression: 'attribute_not_exists(#id) OR #expiry < :now',
  ExpressionAttributeNames: { '#id': 'id', '#expiry': 'expiration' },
};
const nowValue = (): Record<string, AttributeValue> => ({
  ':now': { N: String(Date.now() / 1000) },
});

interface CaseResult {
  name: string;
  itemsPerSecond: number;
  requests: number;
  dynamodbCpuMsPer1000: number;
  clientCpuMsPer1000: number;
}

async function withTable<T>(run: (table: string) => Promise<T>): Promise<T> {
  const table = `limits-${randomUUID().slice(0, 8)}`;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  try {
    return await run(table);
  } finally {
    await client.send(new DeleteTableCommand({ TableName: table }));
  }
}

/** Runs `requests` (each writing `itemsPerRequest`) with `concurrency` in flight; measures it. */
async function measure(
  name: string,
  requests: number,
  itemsPerRequest: number,
  concurrency: number,
  send: (index: number) => Promise<unknown>,
): Promise<CaseResult> {
  const jvm = new ProcessCpuMeter((): Record<string, number> =>
    dynamodbPid === undefined ? {} : { dynamodb: dynamodbPid },
  );
  jvm.start();
  const clientCpu = process.cpuUsage();
  const limit = pLimit(concurrency);
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: requests }, (_, index) => limit(() => send(index))));
  const seconds = (performance.now() - startedAt) / 1000;
  const items = requests * itemsPerRequest;
  const used = process.cpuUsage(clientCpu);
  const result: CaseResult = {
    name,
    itemsPerSecond: Math.round(items / seconds),
    requests,
    dynamodbCpuMsPer1000: Math.round(((jvm.read().dynamodb ?? 0) * 1_000_000) / items),
    clientCpuMsPer1000: Math.round((used.user + used.system) / items),
  };
  console.log(
    `${name.padEnd(48)} ${String(result.itemsPerSecond).padStart(7)} items/s  ` +
      `dynamodb CPU ${result.dynamodbCpuMsPer1000} ms/1000 items, client CPU ${result.clientCpuMsPer1000} ms/1000 items`,
  );
  return result;
}

const results: CaseResult[] = [];
try {
  // Warm-up: the JVM's JIT and the table code paths, so the first case is not penalised.
  await withTable((table) =>
    measure('warm-up PutItem c16', 2000, 1, 16, (i) =>
      client.send(new PutItemCommand({ TableName: table, Item: claimItem(`w${i}`) })),
    ),
  );
  for (const concurrency of [16, 48, 96]) {
    results.push(
      await withTable((table) =>
        measure(`PutItem conditional c${concurrency}`, itemsPerCase, 1, concurrency, (i) =>
          client.send(
            new PutItemCommand({
              TableName: table,
              Item: claimItem(`p${i}`),
              ...claimCondition,
              ExpressionAttributeValues: nowValue(),
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        ),
      ),
    );
  }
  const transactClaims = (
    table: string,
    prefix: string,
    index: number,
    size: number,
  ): TransactWriteItem[] =>
    Array.from({ length: size }, (_, k) => ({
      Put: {
        TableName: table,
        Item: claimItem(`${prefix}${index * size + k}`),
        ...claimCondition,
        ExpressionAttributeValues: nowValue(),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    }));
  for (const size of [25, 100]) {
    for (const concurrency of [1, 2, 4, 8]) {
      results.push(
        await withTable((table) =>
          measure(
            `TransactWriteItems ${size} claims c${concurrency}`,
            Math.ceil(itemsPerCase / size),
            size,
            concurrency,
            (i) =>
              client.send(
                new TransactWriteItemsCommand({
                  TransactItems: transactClaims(table, 't', i, size),
                }),
              ),
          ),
        ),
      );
    }
  }
  // Completing claims: 100 unconditional updates per transaction.
  results.push(
    await withTable(async (table) => {
      const size = 100;
      const requests = Math.ceil(itemsPerCase / size);
      await Promise.all(
        Array.from({ length: requests }, (_, i) =>
          client.send(
            new TransactWriteItemsCommand({ TransactItems: transactClaims(table, 'u', i, size) }),
          ),
        ),
      );
      return measure(`TransactWriteItems ${size} completes c4`, requests, size, 4, (i) =>
        client.send(
          new TransactWriteItemsCommand({
            TransactItems: Array.from({ length: size }, (_, k) => ({
              Update: {
                TableName: table,
                Key: { id: { S: `merge-consumer#u${i * size + k}` } },
                UpdateExpression: 'SET #expiry = :expiry, #status = :status, #data = :data',
                ExpressionAttributeNames: {
                  '#expiry': 'expiration',
                  '#status': 'status',
                  '#data': 'data',
                },
                ExpressionAttributeValues: {
                  ':expiry': { N: String(Math.round(Date.now() / 1000) + 3600) },
                  ':status': { S: 'COMPLETED' },
                  ':data': { M: { stagingKey: { S: 'staging/x.json' } } },
                },
              },
            })),
          }),
        ),
      );
    }),
  );
  results.push(
    await withTable((table) =>
      measure('BatchWriteItem 25 unconditional c8', Math.ceil(itemsPerCase / 25), 25, 8, (i) =>
        client.send(
          new BatchWriteItemCommand({
            RequestItems: {
              [table]: Array.from({ length: 25 }, (_, k) => ({
                PutRequest: { Item: claimItem(`b${i * 25 + k}`) },
              })),
            },
          }),
        ),
      ),
    ),
  );
  // A cancelled transaction: does DynamoDB Local return the conflicting items?
  await withTable(async (table) => {
    await client.send(new PutItemCommand({ TableName: table, Item: claimItem('c1') }));
    try {
      await client.send(
        new TransactWriteItemsCommand({
          TransactItems: ['c0', 'c1'].map((id) => ({
            Put: {
              TableName: table,
              Item: claimItem(id),
              ...claimCondition,
              ExpressionAttributeValues: nowValue(),
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          })),
        }),
      );
      console.log('cancellation check: transaction unexpectedly succeeded');
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      console.log(`cancellation reasons: ${JSON.stringify(error.CancellationReasons)}`);
    }
  });
} finally {
  client.destroy();
  await stack?.stop();
}
console.log(JSON.stringify({ itemsPerCase, results }));
