import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { localCredentials } from '../../localstack/stack/endpoints';
import { localStack } from '../../test/support/local-stack';
import { pipeline } from '../shared/pipeline';
import {
  IDEMPOTENCY_KEY_JMESPATH,
  STAGING_KEY_ATTR,
  StagingClaimPersistenceLayer,
  idempotencyData,
} from './claim-store';

/**
 * The claim store against real DynamoDB Local: its BatchWriteItem claims are the items Powertools'
 * own saveInProgress writes (plus `stagingKey`) and read back as Powertools reads them, and its
 * BatchGetItem read tells new, claimed, COMPLETED (the earlier protocol) and expired apart.
 */

let dynamodb: DynamoDBClient;
let table: string;
let claims: StagingClaimPersistenceLayer;
/** Powertools' own layer on the same table, configured as the claim store configures it. */
let powertools: DynamoDBPersistenceLayer;
const stagingKey = 'staging/2026/01/15/k1.json';
/** 130 versions: reads of two BatchGetItem requests, claims of six BatchWriteItem requests. */
const versions = Array.from({ length: 130 }, (_, index) => `CUSTOMER#c-${index}#${'c'.repeat(64)}`);

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
  powertools = new DynamoDBPersistenceLayer({ tableName: table, awsSdkV3Client: dynamodb });
  powertools.configure({
    config: new IdempotencyConfig({
      eventKeyJmesPath: IDEMPOTENCY_KEY_JMESPATH,
      expiresAfterSeconds: pipeline.mergeConsumer.idempotencyTtlSeconds,
    }),
    keyPrefix: 'merge-consumer',
  });
  return async () => {
    await dynamodb.send(new DeleteTableCommand({ TableName: table }));
    dynamodb.destroy();
  };
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

describe('the claim store on DynamoDB Local', () => {
  it('reads nothing for new versions, then claims them with the item Powertools’ saveInProgress writes', async () => {
    await expect(claims.read(versions)).resolves.toEqual(versions.map(() => undefined));
    await claims.claim(versions.slice(1), stagingKey);
    await powertools.saveInProgress(idempotencyData(versions[0]!), 120_000);

    const byPowertools = await storedItem(versions[0]!);
    for (const versionKey of versions.slice(1)) {
      const { [STAGING_KEY_ATTR]: named, ...item } = await storedItem(versionKey);
      expect(named).toEqual({ S: stagingKey });
      expect(Object.keys(item).sort()).toEqual(Object.keys(byPowertools).sort());
      expect(item.status).toEqual(byPowertools.status);
      expect(
        Math.abs(Number(item.expiration?.N) - Number(byPowertools.expiration?.N)),
      ).toBeLessThan(5);
    }
    // An operator (or Powertools itself) reads the claim as an INPROGRESS record.
    const record = await powertools.getRecord(idempotencyData(versions[1]!));
    expect(record.getStatus()).toBe('INPROGRESS');
    expect(record.inProgressExpiryTimestamp).toBeGreaterThan(Date.now());

    const stored = await claims.read(versions);
    expect(stored[0]).toEqual({ status: 'INPROGRESS', stagingKey: undefined });
    expect(stored.slice(1)).toEqual(
      versions.slice(1).map(() => ({ status: 'INPROGRESS', stagingKey })),
    );
  });

  it('overwrites a claim (take-over) and reads the new staging key back', async () => {
    const later = 'staging/2026/01/16/k2.json';
    await claims.claim(versions.slice(0, 3), later);
    await expect(claims.read(versions.slice(0, 3))).resolves.toEqual(
      versions.slice(0, 3).map(() => ({ status: 'INPROGRESS', stagingKey: later })),
    );
  });

  it('reads COMPLETED items of the earlier protocol (Powertools’ saveSuccess) and expired items as such', async () => {
    const completed = `PRODUCT#p-1#${'d'.repeat(64)}`;
    const expired = `PRODUCT#p-2#${'e'.repeat(64)}`;
    await powertools.saveInProgress(idempotencyData(completed), 120_000);
    await powertools.saveSuccess(idempotencyData(completed), { stagingKey });
    await dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          id: { S: claims.idempotencyKeyOf(expired) },
          status: { S: 'COMPLETED' },
          expiration: { N: String(Math.floor(Date.now() / 1000) - 60) },
        },
      }),
    );
    await expect(claims.read([completed, expired, completed])).resolves.toEqual([
      { status: 'COMPLETED', stagingKey: undefined },
      { status: 'EXPIRED', stagingKey: undefined },
      { status: 'COMPLETED', stagingKey: undefined },
    ]);
  });
});
