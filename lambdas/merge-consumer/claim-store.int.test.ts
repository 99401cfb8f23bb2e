import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCredentials } from '../../localstack/stack/endpoints';
import { localStack } from '../../test/support/local-stack';
import { STAGING_KEY_ATTR, StagingClaimPersistenceLayer, idempotencyData } from './claim-store';

/**
 * completeAll's BatchWriteItem puts against real DynamoDB Local: the item they leave must be the
 * item Powertools' own completion update leaves, read back the same way.
 */

let dynamodb: DynamoDBClient;
let table: string;
let claims: StagingClaimPersistenceLayer;
const stagingKey = 'staging/2026/01/15/k1.json';
/** 30 versions: completeAll of 29 writes two BatchWriteItem chunks. */
const versions = Array.from({ length: 30 }, (_, index) => `CUSTOMER#c-${index}#${'c'.repeat(64)}`);

beforeAll(async () => {
  const endpoints = localStack();
  dynamodb = new DynamoDBClient({
    endpoint: endpoints.dynamodbEndpoint,
    region: endpoints.region,
    credentials: localCredentials,
  });
  table = `claim-store-it-${randomUUID().slice(0, 8)}`;
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60 }, { TableName: table });
  claims = new StagingClaimPersistenceLayer({ tableName: table, client: dynamodb });
});

afterAll(async () => {
  await dynamodb?.send(new DeleteTableCommand({ TableName: table }));
  dynamodb?.destroy();
});

async function storedItem(versionKey: string): Promise<Record<string, AttributeValue>> {
  const { Item } = await dynamodb.send(
    new GetItemCommand({
      TableName: table,
      Key: { id: { S: claims.idempotencyKeyOf(versionKey) } },
      ConsistentRead: true,
    }),
  );
  if (Item === undefined) throw new Error(`no item for ${versionKey}`);
  return Item;
}

const timeAttributes = ['expiration', 'in_progress_expiration'];
function withoutKeyAndTimes(item: Record<string, AttributeValue>) {
  return Object.fromEntries(
    Object.entries(item).filter(([name]) => name !== 'id' && !timeAttributes.includes(name)),
  );
}
function recordWithoutTimes(record: IdempotencyRecord) {
  return {
    status: record.getStatus(),
    responseData: record.responseData,
    payloadHash: record.payloadHash,
    hasExpiry: record.expiryTimestamp !== undefined,
    hasInProgressExpiry: record.inProgressExpiryTimestamp !== undefined,
  };
}

describe('completeAll on DynamoDB Local', () => {
  it('leaves the item Powertools’ own completion leaves, read back the same way', async () => {
    await expect(claims.claimAll(versions, stagingKey)).resolves.toEqual(
      versions.map(() => ({ kind: 'claimed' })),
    );
    const claimed = await Promise.all(versions.map(storedItem));

    await claims.complete(versions[0]!, stagingKey);
    await expect(
      claims.completeAll(versions.slice(1).map((versionKey) => ({ versionKey, stagingKey }))),
    ).resolves.toEqual(versions.slice(1).map(() => undefined));

    const byPowertools = await storedItem(versions[0]!);
    const byBatch = await Promise.all(versions.slice(1).map(storedItem));
    expect(byPowertools.status).toEqual({ S: 'COMPLETED' });
    for (const [index, item] of byBatch.entries()) {
      expect(Object.keys(item).sort()).toEqual(Object.keys(byPowertools).sort());
      expect(withoutKeyAndTimes(item)).toEqual(withoutKeyAndTimes(byPowertools));
      expect(
        Math.abs(Number(item.expiration?.N) - Number(byPowertools.expiration?.N)),
      ).toBeLessThanOrEqual(5);
      // The in-progress expiry Powertools leaves is the claim's; the put writes the same deadline.
      const claimedExpiry = Number(claimed[index + 1]!.in_progress_expiration?.N);
      expect(Math.abs(Number(item.in_progress_expiration?.N) - claimedExpiry)).toBeLessThan(5_000);
    }
    expect(byPowertools.in_progress_expiration).toEqual(claimed[0]!.in_progress_expiration);

    const reference = recordWithoutTimes(await claims.getRecord(idempotencyData(versions[0]!)));
    expect(reference).toEqual({
      status: 'COMPLETED',
      responseData: { stagingKey },
      payloadHash: undefined,
      hasExpiry: true,
      hasInProgressExpiry: true,
    });
    for (const versionKey of versions.slice(1)) {
      expect(recordWithoutTimes(await claims.getRecord(idempotencyData(versionKey)))).toEqual(
        reference,
      );
    }
  });

  it('answers `completed` to a later claim of a version completed by completeAll', async () => {
    const later = 'staging/2026/01/16/k9.json';
    await expect(claims.claim(versions[1]!, later)).resolves.toEqual({ kind: 'completed' });
    await expect(claims.claimAll(versions.slice(1, 5), later)).resolves.toEqual(
      versions.slice(1, 5).map(() => ({ kind: 'completed' })),
    );
    // Nothing was overwritten by those claims.
    expect((await storedItem(versions[1]!))[STAGING_KEY_ATTR]).toEqual({ S: stagingKey });
  });
});
