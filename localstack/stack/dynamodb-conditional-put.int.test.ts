import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLocalStackEnv } from '../../test/support/local-stack';

// Powertools idempotency claims a key with a conditional PutItem; DynamoDB Local must enforce it.
describe('DynamoDB Local conditional writes', () => {
  let dynamodb: DynamoDBClient;
  const tableName = `stack-conditional-${randomUUID()}`;

  beforeAll(async () => {
    applyLocalStackEnv();
    dynamodb = new DynamoDBClient({});
    await dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName: tableName });
  });

  afterAll(async () => {
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    dynamodb.destroy();
  });

  it('rejects a second put of the same key under attribute_not_exists', async () => {
    const put = (status: string) =>
      dynamodb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { id: { S: 'CUSTOMER#c-1#abc' }, status: { S: status } },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
    await put('INPROGRESS');
    await expect(put('COMPLETED')).rejects.toBeInstanceOf(ConditionalCheckFailedException);

    const stored = await dynamodb.send(
      new GetItemCommand({ TableName: tableName, Key: { id: { S: 'CUSTOMER#c-1#abc' } } }),
    );
    expect(stored.Item?.status?.S).toBe('INPROGRESS');
  });
});
