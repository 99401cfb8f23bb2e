import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tables } from '../shared/pipeline';

export const FLUSH_LEASE_ID = 'flush#lease';

export interface Lease {
  owner: string;
  release(): Promise<void>;
}

interface LeaseOptions {
  dynamodb: Pick<DynamoDBClient, 'send'>;
  tableName: string;
  owner: string;
  /** How long the lease holds if its owner dies without releasing it. */
  durationMs: number;
  now?: () => number;
}

/**
 * The flush lease: a PutItem on the sync-state table if none is held or it expired; undefined when
 * another flush holds it. Beyond reserved concurrency 1, it covers manual invokes and local runs.
 */
export async function acquireLease(options: LeaseOptions): Promise<Lease | undefined> {
  const now = (options.now ?? Date.now)();
  const key = tables.syncState.partitionKey;
  try {
    await options.dynamodb.send(
      new PutItemCommand({
        TableName: options.tableName,
        Item: {
          [key]: { S: FLUSH_LEASE_ID },
          owner: { S: options.owner },
          expiresAt: { N: String(now + options.durationMs) },
        },
        ConditionExpression: 'attribute_not_exists(#key) OR expiresAt < :now',
        ExpressionAttributeNames: { '#key': key },
        ExpressionAttributeValues: { ':now': { N: String(now) } },
      }),
    );
  } catch (error) {
    if (isConditionFailed(error)) return undefined;
    throw error;
  }
  return {
    owner: options.owner,
    release: async () => {
      try {
        await options.dynamodb.send(
          new DeleteItemCommand({
            TableName: options.tableName,
            Key: { [key]: { S: FLUSH_LEASE_ID } },
            // Never delete a lease someone else took after ours expired.
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': { S: options.owner } },
          }),
        );
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
    },
  };
}

const isConditionFailed = (error: unknown): boolean =>
  (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
