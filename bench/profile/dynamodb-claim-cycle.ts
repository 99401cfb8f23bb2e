/**
 * The merge-consumer's DynamoDB pattern alone, at pipeline scale: per 100 record versions one
 * TransactWriteItems of conditional claims, then one of completions, `--concurrency` of them in
 * flight, over a table that grows to `--items`. Prints DynamoDB Local's CPU per 1,000 versions per
 * segment, to tell a per-item cost from one that grows with the table or with concurrency.
 *
 *   npx tsx bench/profile/dynamodb-claim-cycle.ts --items 20000 --concurrency 4
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  CreateTableCommand,
  DynamoDBClient,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { StagingClaimPersistenceLayer } from '../../lambdas/merge-consumer/claim-store';
import { localCredentials } from '../../localstack/stack/endpoints';
import { startLocalStack } from '../../localstack/stack';
import { ProcessCpuMeter } from './process-cpu';

const { values: args } = parseArgs({
  options: {
    items: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '4' },
    segments: { type: 'string', default: '4' },
  },
});
const items = Number(args.items);
const segments = Number(args.segments);
const stack = await startLocalStack({ log: (line) => console.error(`[stack] ${line}`) });
const client = new DynamoDBClient({
  endpoint: stack.endpoints.dynamodbEndpoint,
  region: stack.endpoints.region,
  credentials: localCredentials,
});
try {
  const table = `cycle-${randomUUID().slice(0, 8)}`;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const claims = new StagingClaimPersistenceLayer({ tableName: table, client });
  const jvm = new ProcessCpuMeter(() => ({ dynamodb: stack.processes.servers.dynamodb }));
  const limit = pLimit(Number(args.concurrency));
  const perSegment = Math.floor(items / segments);
  let transactions = 0;
  const original = client.send.bind(client);
  client.send = ((command: Parameters<typeof original>[0]) => {
    if (command instanceof TransactWriteItemsCommand) transactions += 1;
    return original(command);
  }) as typeof client.send;
  for (let segment = 0; segment < segments; segment++) {
    jvm.start();
    const startedAt = performance.now();
    const chunks = Array.from({ length: perSegment / 100 }, (_, chunk) =>
      Array.from(
        { length: 100 },
        (_, k) => `CUSTOMER#c-${segment}-${chunk}-${k}#${'a'.repeat(64)}`,
      ),
    );
    await Promise.all(
      chunks.map((versions) =>
        limit(async () => {
          const key = `staging/2026/11/23/${randomUUID()}.json`;
          await claims.claimAll(versions, key);
          await claims.completeAll(versions.map((versionKey) => ({ versionKey, stagingKey: key })));
        }),
      ),
    );
    const seconds = (performance.now() - startedAt) / 1000;
    const cpu = jvm.read().dynamodb ?? 0;
    console.log(
      `segment ${segment + 1}/${segments} (table ${(segment + 1) * perSegment} items): ` +
        `${Math.round(perSegment / seconds)} versions/s, DynamoDB CPU ${Math.round((cpu * 1e6) / perSegment)} ms per 1,000 versions`,
    );
  }
  console.log(`transactions: ${transactions}`);
} finally {
  client.destroy();
  await stack.stop();
}
