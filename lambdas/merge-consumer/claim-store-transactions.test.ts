import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STAGING_KEY_ATTR, StagingClaimPersistenceLayer } from './claim-store';

/** claimAll / completeAll: the TransactWriteItems path of the claim store, and its fallbacks. */

const dynamo = mockClient(DynamoDBClient);
const versions = ['A', 'B', 'C', 'D'].map((id) => `CUSTOMER#c-${id}#${'a'.repeat(64)}`);
const stagingKey = 'staging/2026/01/15/k2.json';

function layer(maxClaimsPerRequest = 100): StagingClaimPersistenceLayer {
  return new StagingClaimPersistenceLayer({
    tableName: 'idem',
    client: new DynamoDBClient({ region: 'us-east-1' }),
    maxClaimsPerRequest,
  });
}

function cancelled(reasons: CancellationReason[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: `Transaction cancelled [${reasons.map((reason) => reason.Code).join(', ')}]`,
    $metadata: {},
    CancellationReasons: reasons,
  });
}

const none: CancellationReason = { Code: 'None' };
const existing = (status: string, key?: string): CancellationReason => ({
  Code: 'ConditionalCheckFailed',
  Item: {
    id: { S: 'x' },
    status: { S: status },
    ...(key === undefined ? {} : { [STAGING_KEY_ATTR]: { S: key } }),
  },
});

/** The ids of the Put actions of each TransactWriteItems call, in order. */
function transactedIds(): string[][] {
  return dynamo
    .commandCalls(TransactWriteItemsCommand)
    .map((call) =>
      (call.args[0].input.TransactItems ?? []).map((item) => item.Put?.Item?.id?.S ?? ''),
    );
}

beforeEach(() => dynamo.reset());
afterEach(() => dynamo.reset());

describe('claimAll', () => {
  it('claims every version in one transaction, with the items and condition of a single claim', async () => {
    dynamo.on(TransactWriteItemsCommand).resolves({});
    dynamo.on(PutItemCommand).resolves({});
    const claims = layer();
    await expect(claims.claimAll(versions, stagingKey)).resolves.toEqual(
      versions.map(() => ({ kind: 'claimed' })),
    );
    expect(transactedIds()).toEqual([versions.map((version) => claims.idempotencyKeyOf(version))]);
    await claims.claim(versions[0]!, stagingKey);
    const single = dynamo.commandCalls(PutItemCommand)[0]!.args[0].input;
    const put =
      dynamo.commandCalls(TransactWriteItemsCommand)[0]!.args[0].input.TransactItems![0]!.Put!;
    const withoutTimes = (item: typeof single.Item) => ({
      ...item,
      expiration: undefined,
      in_progress_expiration: undefined,
    });
    expect(withoutTimes(put.Item)).toEqual(withoutTimes(single.Item));
    expect(put.ConditionExpression).toBe(single.ConditionExpression);
    expect(put.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it('decides conflicts from the cancellation reasons and claims the rest in a smaller transaction', async () => {
    dynamo
      .on(TransactWriteItemsCommand)
      .rejectsOnce(cancelled([none, existing('COMPLETED'), none, existing('INPROGRESS', 'k1')]))
      .resolves({});
    const claims = layer();
    await expect(claims.claimAll(versions, stagingKey)).resolves.toEqual([
      { kind: 'claimed' },
      { kind: 'completed' },
      { kind: 'claimed' },
      { kind: 'in-progress', stagingKey: 'k1' },
    ]);
    const ids = versions.map((version) => claims.idempotencyKeyOf(version));
    expect(transactedIds()).toEqual([ids, [ids[0], ids[2]]]);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('costs one request and no write when every version is already staged (a resync)', async () => {
    dynamo
      .on(TransactWriteItemsCommand)
      .rejects(cancelled(versions.map(() => existing('COMPLETED'))));
    await expect(layer().claimAll(versions, stagingKey)).resolves.toEqual(
      versions.map(() => ({ kind: 'completed' })),
    );
    expect(dynamo.calls()).toHaveLength(1);
  });

  it('falls back to a single conditional put for a version whose reason says nothing usable', async () => {
    dynamo
      .on(TransactWriteItemsCommand)
      .rejectsOnce(
        cancelled([
          none,
          { Code: 'TransactionConflict' },
          { Code: 'ConditionalCheckFailed' },
          existing('COMPLETED'),
        ]),
      )
      .resolves({});
    dynamo.on(PutItemCommand).resolves({});
    const claims = layer();
    await expect(claims.claimAll(versions, stagingKey)).resolves.toEqual([
      { kind: 'claimed' },
      { kind: 'claimed' },
      { kind: 'claimed' },
      { kind: 'completed' },
    ]);
    const singles = dynamo
      .commandCalls(PutItemCommand)
      .map((call) => call.args[0].input.Item?.id?.S);
    expect(singles.sort()).toEqual(
      versions
        .slice(0, 3)
        .map((version) => claims.idempotencyKeyOf(version))
        .sort(),
    );
    // Two fall back to single puts; the one "None" left is claimed alone, not as a transaction of one.
    expect(transactedIds()).toHaveLength(1);
  });

  it('rejects when the transaction fails for another reason (nothing is decided)', async () => {
    dynamo.on(TransactWriteItemsCommand).rejects(new Error('ThrottlingException'));
    await expect(layer().claimAll(versions, stagingKey)).rejects.toThrow('ThrottlingException');
  });

  it('refuses more versions than one request may carry', async () => {
    await expect(layer(2).claimAll(versions, stagingKey)).rejects.toThrow(/at most 2/);
    expect(() => layer(101)).toThrow(/1–100/);
  });
});

describe('completeAll', () => {
  it('completes in one transaction with the very update Powertools sends for one', async () => {
    dynamo.on(TransactWriteItemsCommand).resolves({});
    dynamo.on(UpdateItemCommand).resolves({});
    const claims = layer();
    const completions = versions.map((versionKey) => ({ versionKey, stagingKey }));
    await expect(claims.completeAll(completions)).resolves.toEqual(versions.map(() => undefined));
    await claims.complete(versions[0]!, stagingKey);
    const single = dynamo.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    const update =
      dynamo.commandCalls(TransactWriteItemsCommand)[0]!.args[0].input.TransactItems![0]!.Update!;
    expect(update.Key).toEqual(single.Key);
    expect(update.UpdateExpression).toBe(single.UpdateExpression);
    expect(update.ExpressionAttributeNames).toEqual(single.ExpressionAttributeNames);
    expect(update.ExpressionAttributeValues?.[':status']).toEqual(
      single.ExpressionAttributeValues?.[':status'],
    );
    expect(update.ExpressionAttributeValues?.[':response_data']).toEqual(
      single.ExpressionAttributeValues?.[':response_data'],
    );
  });

  it('completes one by one when the transaction fails, reporting each failure', async () => {
    dynamo
      .on(TransactWriteItemsCommand)
      .rejects(cancelled(versions.map(() => ({ Code: 'ThrottlingError' }))));
    const claims = layer();
    dynamo
      .on(UpdateItemCommand)
      .resolves({})
      .on(UpdateItemCommand, { Key: { id: { S: claims.idempotencyKeyOf(versions[2]!) } } })
      .rejects(new Error('still throttled'));
    const errors = await claims.completeAll(
      versions.map((versionKey) => ({ versionKey, stagingKey })),
    );
    expect(errors.map((error) => (error as Error | undefined)?.message)).toEqual([
      undefined,
      undefined,
      'still throttled',
      undefined,
    ]);
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(4);
  });
});
