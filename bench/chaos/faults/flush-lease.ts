import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { FLUSH_LEASE_ID } from '../../../lambdas/flush/lease';
import { tables } from '../../../lambdas/shared/pipeline';

/**
 * Moves the flush lease of an owner that crashed into the past, as if its duration (the
 * invocation's remaining time + 5 s, about five minutes) had gone by. Only time is compressed:
 * the next flush still takes the lease through its own "expired" condition and finds the dead
 * run's outbox manifest, exactly as it would five minutes later. Conditional on the owner, so a
 * lease a live flush took meanwhile is never touched. Returns the dead owner, or undefined when
 * no lease was held.
 */
export async function expireCrashedFlushLease(
  dynamodb: DynamoDBClient,
  tableName: string,
): Promise<string | undefined> {
  const key = { [tables.syncState.partitionKey]: { S: FLUSH_LEASE_ID } };
  const lease = await dynamodb.send(
    new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
  );
  const owner = lease.Item?.owner?.S;
  if (owner === undefined) return undefined;
  try {
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET expiresAt = :past',
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':past': { N: '0' }, ':owner': { S: owner } },
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    return undefined;
  }
  return owner;
}
