/** Scenario 4, the DynamoDB claim limit `ratioToLimit` divides by (docs/benchmarks.md). */
import { createHash, randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteItemCommand,
  DeleteTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { IdempotencyRecordStatus } from '@aws-lambda-powertools/idempotency';
import { functionNames, pipeline, tables } from '../../lambdas/shared/pipeline';
import { batchIdFromOffsets, stagingKey } from '../../lambdas/shared/staging-format';
import { localCredentials } from '../../localstack/stack/endpoints';
import { createTableIfMissing } from '../../localstack/stack/provision';
import { processCpuSeconds } from '../instrumentation/collector';
import { perSecond } from './kafka';

export type RawDynamoResult = Awaited<ReturnType<typeof measureRawDynamodb>>;

export async function measureRawDynamodb(options: {
  endpoint: string;
  region: string;
  /** Per concurrency level. */
  items: number;
  concurrencies?: number[];
  dynamodbPid?: number;
}) {
  const concurrencies = options.concurrencies ?? [1, 2, 4, 8, 16];
  const client = localDynamodb(options.endpoint, options.region, Math.max(...concurrencies));
  const table = `bench-raw-claims-${randomUUID().slice(0, 8)}`;
  const now = new Date();
  const cpu = () => (options.dynamodbPid ? processCpuSeconds(options.dynamodbPid) : undefined);
  const level = async (range: string, concurrency: number) => {
    const requests = Math.ceil(options.items / 25);
    const cpuBefore = cpu();
    let next = 0;
    let refused = 0;
    const worker = async (): Promise<void> => {
      while (next < requests) {
        const index = next++;
        const puts = Array.from({ length: 25 }, (_, k) => ({
          PutRequest: { Item: inProgressClaimItem(`${range}#${index * 25 + k}`, now) },
        }));
        const request = new BatchWriteItemCommand({ RequestItems: { [table]: puts } });
        const answer = await client.send(request);
        refused += answer.UnprocessedItems?.[table]?.length ?? 0;
      }
    };
    const startMs = performance.now();
    await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, worker));
    const elapsedMs = performance.now() - startMs;
    const accepted = requests * 25 - refused;
    const cpuAfter = cpu();
    return {
      concurrency,
      itemsPerSecond: perSecond(accepted, elapsedMs),
      seconds: elapsedMs / 1000,
      refused,
      dynamodbCpuSecondsPer1000Items:
        cpuBefore === undefined || cpuAfter === undefined
          ? undefined
          : ((cpuAfter - cpuBefore) / accepted) * 1000,
    };
  };
  try {
    await createTableIfMissing(client, table, tables.idempotency.partitionKey);
    await level('warm-up', 4);
    const byConcurrency: Array<Awaited<ReturnType<typeof level>>> = [];
    for (const c of concurrencies) byConcurrency.push(await level(`c${c}`, c));
    // A limit is the best any setting achieved (the first on a tie), not an average.
    const best = byConcurrency.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
    return {
      ...best,
      items: options.items,
      itemsPerRequest: 25,
      byConcurrency,
      claimWritesPerSecond: best.itemsPerSecond,
    };
  } finally {
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    client.destroy();
  }
}

/** On keep-alive sockets (the SDK's handler owns the agent). */
export function localDynamodb(endpoint: string, region: string, maxSockets = 50): DynamoDBClient {
  const requestHandler = { httpAgent: { keepAlive: true, maxSockets } };
  return new DynamoDBClient({ endpoint, region, credentials: localCredentials, requestHandler });
}

/** Like merge-consumer's claim: Powertools' hashed key, its expiries and the claim's staging key. */
export function inProgressClaimItem(seed: string, now: Date): Record<string, AttributeValue> {
  const hash = createHash('md5').update(JSON.stringify(seed)).digest('base64');
  const batchId = batchIdFromOffsets([
    { topic: 'customer_data', partition: 0, firstOffset: seed, lastOffset: seed },
  ]);
  const nowMs = now.getTime();
  const { idempotencyTtlSeconds, timeoutSeconds } = pipeline.mergeConsumer;
  return {
    [tables.idempotency.partitionKey]: { S: `${functionNames.mergeConsumer}#${hash}` },
    expiration: { N: String(Math.floor(nowMs / 1000) + idempotencyTtlSeconds) },
    in_progress_expiration: { N: String(nowMs + timeoutSeconds * 1000) },
    status: { S: IdempotencyRecordStatus.INPROGRESS },
    stagingKey: { S: stagingKey(batchId, now) },
  };
}
