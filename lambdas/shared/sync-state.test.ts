import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SyncStateConflictError, SyncStateRepository, laterOf } from './sync-state';

const documentMock = mockClient(DynamoDBDocumentClient);
const now = () => new Date('2025-03-01T10:00:00.000Z');

function repository() {
  return new SyncStateRepository(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    'sync-state-test',
    now,
  );
}

describe('SyncStateRepository', () => {
  beforeEach(() => documentMock.reset());

  it('reads with a consistent read and validates the item', async () => {
    documentMock.on(GetCommand).resolves({
      Item: {
        source: 'crm',
        version: 3,
        watermark: '2025-01-01T00:00:00.000Z',
        updatedAt: now().toISOString(),
      },
    });
    const state = await repository().read('crm');
    expect(state).toMatchObject({
      source: 'crm',
      version: 3,
      watermark: '2025-01-01T00:00:00.000Z',
    });
    expect(documentMock.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'sync-state-test',
      Key: { source: 'crm' },
      ConsistentRead: true,
    });
  });

  it('returns undefined when the source was never polled, and rejects a malformed item', async () => {
    documentMock
      .on(GetCommand)
      .resolvesOnce({})
      .resolvesOnce({ Item: { source: 'crm', version: 'x' } });
    expect(await repository().read('crm')).toBeUndefined();
    await expect(repository().read('crm')).rejects.toThrow(/malformed/);
  });

  it('saves the first cursor only if no item exists yet', async () => {
    documentMock.on(PutCommand).resolves({});
    const saved = await repository().saveCursor(undefined, 'crm', {
      cursor: 'c1',
      syncType: 'FULL',
      runStartedAt: now().toISOString(),
    });
    expect(saved).toMatchObject({ version: 1, cursor: 'c1', cursorSyncType: 'FULL' });
    expect(saved).not.toHaveProperty('watermark');
    const input = documentMock.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe('attribute_not_exists(#source)');
  });

  it('advances the watermark conditionally on the version it read, clears the cursor, never goes backwards', async () => {
    documentMock.on(PutCommand).resolves({});
    const previous = {
      source: 'crm',
      version: 7,
      watermark: '2025-02-01T00:00:00.000Z',
      cursor: 'c9',
      cursorSyncType: 'RESYNC' as const,
      updatedAt: now().toISOString(),
    };
    const next = await repository().advanceWatermark(previous, 'crm', '2025-01-01T00:00:00.000Z');
    expect(next).toEqual({
      source: 'crm',
      version: 8,
      watermark: '2025-02-01T00:00:00.000Z',
      updatedAt: now().toISOString(),
    });
    const input = documentMock.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe('#version = :expectedVersion');
    expect(input?.ExpressionAttributeValues).toEqual({ ':expectedVersion': 7 });
  });

  it('turns a failed condition into SyncStateConflictError', async () => {
    documentMock
      .on(PutCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    await expect(
      repository().advanceWatermark(undefined, 'crm', '2025-01-01T00:00:00.000Z'),
    ).rejects.toBeInstanceOf(SyncStateConflictError);
  });
});

describe('laterOf', () => {
  it('compares instants, not strings', () => {
    expect(laterOf('2025-01-01T01:00:00+02:00', '2024-12-31T23:30:00Z')).toBe(
      '2024-12-31T23:30:00Z',
    );
    expect(laterOf(undefined, 'x')).toBe('x');
    expect(laterOf('y', undefined)).toBe('y');
  });
});
