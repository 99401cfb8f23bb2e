import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { expireCrashedFlushLease } from './flush-lease';

const dynamodb = new DynamoDBClient({ region: 'us-east-1' });
const mock = mockClient(dynamodb);
afterEach(() => mock.reset());

describe('expireCrashedFlushLease', () => {
  it('moves the held lease into the past, conditional on the owner read', async () => {
    mock
      .on(GetItemCommand)
      .resolves({ Item: { source: { S: 'flush#lease' }, owner: { S: 'dead-run' } } });
    mock.on(UpdateItemCommand).resolves({});
    await expect(expireCrashedFlushLease(dynamodb, 'sync-state')).resolves.toBe('dead-run');
    const update = mock.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(update.Key).toEqual({ source: { S: 'flush#lease' } });
    expect(update.ConditionExpression).toBe('#owner = :owner');
    expect(update.ExpressionAttributeValues).toEqual({
      ':past': { N: '0' },
      ':owner': { S: 'dead-run' },
    });
  });

  it('does nothing when no lease is held', async () => {
    mock.on(GetItemCommand).resolves({});
    await expect(expireCrashedFlushLease(dynamodb, 'sync-state')).resolves.toBeUndefined();
    expect(mock.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it('leaves a lease another owner took meanwhile', async () => {
    mock.on(GetItemCommand).resolves({ Item: { owner: { S: 'dead-run' } } });
    mock
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    await expect(expireCrashedFlushLease(dynamodb, 'sync-state')).resolves.toBeUndefined();
  });
});
