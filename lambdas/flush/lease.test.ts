import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { acquireLease } from './lease';

const dynamodbMock = mockClient(DynamoDBClient);

/**
 * A one-item table that evaluates the two condition expressions lease.ts uses, so contention is
 * tested against the conditions themselves rather than against canned answers.
 */
function emulateTable(): Map<string, Record<string, AttributeValue>> {
  const items = new Map<string, Record<string, AttributeValue>>();
  const conditionFailed = () =>
    new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: {},
    });
  dynamodbMock.on(PutItemCommand).callsFake((input: PutItemCommand['input']) => {
    const id = input.Item!.source!.S!;
    const existing = items.get(id);
    const now = Number(input.ExpressionAttributeValues![':now']!.N);
    expect(input.ConditionExpression).toBe('attribute_not_exists(#key) OR expiresAt < :now');
    if (existing && Number(existing.expiresAt!.N) >= now) throw conditionFailed();
    items.set(id, input.Item!);
    return {};
  });
  dynamodbMock.on(DeleteItemCommand).callsFake((input: DeleteItemCommand['input']) => {
    const id = input.Key!.source!.S!;
    expect(input.ConditionExpression).toBe('#owner = :owner');
    if (items.get(id)?.owner?.S !== input.ExpressionAttributeValues![':owner']!.S)
      throw conditionFailed();
    items.delete(id);
    return {};
  });
  return items;
}

describe('acquireLease', () => {
  beforeEach(() => dynamodbMock.reset());

  const options = (owner: string, now: number) => ({
    dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
    tableName: 'sync-state',
    owner,
    durationMs: 60_000,
    now: () => now,
  });

  it('grants the lease to one owner at a time and again after release', async () => {
    const items = emulateTable();
    const first = await acquireLease(options('run-1', 1_000));
    expect(first?.owner).toBe('run-1');
    expect(items.get('flush#lease')).toEqual({
      source: { S: 'flush#lease' },
      owner: { S: 'run-1' },
      expiresAt: { N: '61000' },
    });
    expect(await acquireLease(options('run-2', 2_000))).toBeUndefined();

    await first!.release();
    expect(items.size).toBe(0);
    expect((await acquireLease(options('run-2', 3_000)))?.owner).toBe('run-2');
  });

  it('takes over an expired lease, and the old owner cannot release the new one', async () => {
    const items = emulateTable();
    const stale = await acquireLease(options('crashed', 0));
    const fresh = await acquireLease(options('next', 60_001));
    expect(fresh?.owner).toBe('next');

    await stale!.release();
    expect(items.get('flush#lease')?.owner?.S).toBe('next');
  });

  it('rethrows errors other than a failed condition', async () => {
    dynamodbMock.on(PutItemCommand).rejects(new Error('throttled'));
    await expect(acquireLease(options('run', 0))).rejects.toThrow('throttled');
  });
});
