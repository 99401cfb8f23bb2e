import type {
  AttributeValue,
  BatchWriteItemCommandInput,
  CancellationReason,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Completion, CompletionWriteOptions } from './claim-store';
import { STAGING_KEY_ATTR, StagingClaimPersistenceLayer } from './claim-store';

/**
 * claimAll / completeAll: the TransactWriteItems path of claims, the BatchWriteItem path of
 * completions, and their fallbacks.
 */

const dynamo = mockClient(DynamoDBClient);
const versions = ['A', 'B', 'C', 'D'].map((id) => `CUSTOMER#c-${id}#${'a'.repeat(64)}`);
const stagingKey = 'staging/2026/01/15/k2.json';

function layer(
  maxClaimsPerRequest = 100,
  completionWrites?: Partial<CompletionWriteOptions>,
): StagingClaimPersistenceLayer {
  return new StagingClaimPersistenceLayer({
    tableName: 'idem',
    client: new DynamoDBClient({ region: 'us-east-1' }),
    maxClaimsPerRequest,
    completionWrites,
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
  /** 60 versions: BatchWriteItem chunks of 25, 25 and 10. */
  const many = Array.from({ length: 60 }, (_, index) => `PRODUCT#p-${index}#${'b'.repeat(64)}`);
  const elsewhere = 'staging/2026/01/14/k1.json';
  const completionsOf = (keys: readonly string[]): Completion[] =>
    keys.map((versionKey, index) => ({
      versionKey,
      // Some versions were staged by an earlier batch: each item carries its own object.
      stagingKey: index % 7 === 3 ? elsewhere : stagingKey,
    }));
  const noWait = { sleep: () => Promise.resolve() };

  /** The items of each BatchWriteItem call, in order. */
  function batchedItems(): Record<string, AttributeValue>[][] {
    return dynamo
      .commandCalls(BatchWriteItemCommand)
      .map((call) =>
        (call.args[0].input.RequestItems?.idem ?? []).map((request) => request.PutRequest!.Item!),
      );
  }

  it('puts the full COMPLETED items, 25 per BatchWriteItem, with what Powertools sends for one', async () => {
    dynamo.on(BatchWriteItemCommand).resolves({});
    dynamo.on(UpdateItemCommand).resolves({});
    const claims = layer();
    claims.registerLambdaContext({ getRemainingTimeInMillis: () => 30_000 });
    const completions = completionsOf(many);
    const before = Date.now();
    await expect(claims.completeAll(completions)).resolves.toEqual(many.map(() => undefined));
    const after = Date.now();
    expect(dynamo.commandCalls(TransactWriteItemsCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(0);
    const chunks = batchedItems();
    expect(chunks.map((items) => items.length)).toEqual([25, 25, 10]);
    const items = chunks.flat();
    expect(items.map((item) => item.id)).toEqual(
      many.map((version) => ({ S: claims.idempotencyKeyOf(version) })),
    );
    items.forEach((item, index) => {
      const objectKey = completions[index]!.stagingKey;
      expect(Object.keys(item).sort()).toEqual([
        'data',
        'expiration',
        'id',
        'in_progress_expiration',
        'stagingKey',
        'status',
      ]);
      expect(item.status).toEqual({ S: 'COMPLETED' });
      expect(item[STAGING_KEY_ATTR]).toEqual({ S: objectKey });
      expect(item.data).toEqual({ M: { stagingKey: { S: objectKey } } });
      // This invocation's deadline, as the claim wrote it.
      expect(Number(item.in_progress_expiration!.N)).toBeGreaterThanOrEqual(before + 30_000);
      expect(Number(item.in_progress_expiration!.N)).toBeLessThanOrEqual(after + 30_000);
    });

    // The values of Powertools' own completion update for the same version.
    await claims.complete(many[3]!, elsewhere);
    const single = dynamo.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(single.Key).toEqual({ id: items[3]!.id });
    expect(items[3]!.status).toEqual(single.ExpressionAttributeValues?.[':status']);
    expect(items[3]!.data).toEqual(single.ExpressionAttributeValues?.[':response_data']);
    expect(
      Math.abs(
        Number(items[3]!.expiration!.N) - Number(single.ExpressionAttributeValues?.[':expiry']?.N),
      ),
    ).toBeLessThanOrEqual(1);
  });

  it('sends unprocessed items again, with backoff, until they are written', async () => {
    const claims = layer(100, noWait);
    const ids = many.slice(0, 4).map((version) => claims.idempotencyKeyOf(version));
    const unprocessed = (keys: string[]) => ({
      UnprocessedItems: {
        idem: keys.map((id) => ({ PutRequest: { Item: { id: { S: id }, status: { S: 'x' } } } })),
      },
    });
    dynamo
      .on(BatchWriteItemCommand)
      .resolvesOnce(unprocessed([ids[1]!, ids[3]!]))
      .resolvesOnce(unprocessed([ids[3]!]))
      .resolves({});
    await expect(claims.completeAll(completionsOf(many.slice(0, 4)))).resolves.toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(batchedItems().map((items) => items.map((item) => item.id?.S))).toEqual([
      ids,
      [ids[1], ids[3]],
      [ids[3]],
    ]);
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it('completes one by one what stays unprocessed, reporting each failure in order', async () => {
    const claims = layer(100, { ...noWait, maxAttempts: 3 });
    const ids = many.slice(0, 4).map((version) => claims.idempotencyKeyOf(version));
    dynamo.on(BatchWriteItemCommand).callsFake((input: BatchWriteItemCommandInput) => ({
      UnprocessedItems: {
        idem: (input.RequestItems?.idem ?? []).filter(
          (request) =>
            request.PutRequest?.Item?.id?.S === ids[1] ||
            request.PutRequest?.Item?.id?.S === ids[2],
        ),
      },
    }));
    dynamo
      .on(UpdateItemCommand)
      .resolves({})
      .on(UpdateItemCommand, { Key: { id: { S: ids[2]! } } })
      .rejects(new Error('still throttled'));
    const errors = await claims.completeAll(completionsOf(many.slice(0, 4)));
    expect(errors.map((error) => (error as Error | undefined)?.message)).toEqual([
      undefined,
      undefined,
      'still throttled',
      undefined,
    ]);
    expect(batchedItems().map((items) => items.length)).toEqual([4, 2, 2]);
    const singles = dynamo.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
    expect(singles.map((input) => input.Key?.id?.S).sort()).toEqual([ids[1], ids[2]].sort());
    expect(singles.every((input) => input.UpdateExpression?.includes('#status = :status'))).toBe(
      true,
    );
  });

  it('completes one by one the versions of a BatchWriteItem that failed, and only those', async () => {
    dynamo
      .on(BatchWriteItemCommand)
      .rejectsOnce(new Error('ProvisionedThroughputExceededException'))
      .resolves({});
    dynamo.on(UpdateItemCommand).resolves({});
    const claims = layer(100, noWait);
    await expect(claims.completeAll(completionsOf(many))).resolves.toEqual(
      many.map(() => undefined),
    );
    const firstChunk = batchedItems()[0]!.map((item) => item.id?.S);
    const singles = dynamo.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
    expect(singles.map((input) => input.Key?.id?.S)).toEqual(firstChunk);
    expect(firstChunk).toHaveLength(25);
  });

  it('stops completing one by one at the first failure (DynamoDB unreachable), one at a time', async () => {
    dynamo.on(BatchWriteItemCommand).rejects(new Error('connect ECONNREFUSED'));
    let inFlight = 0;
    let mostInFlight = 0;
    dynamo.on(UpdateItemCommand).callsFake(async () => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
      throw new Error('connect ECONNREFUSED');
    });
    const claims = layer(100, noWait);
    const errors = await claims.completeAll(completionsOf(many));
    expect(errors.every((error) => (error as Error).message === 'connect ECONNREFUSED')).toBe(true);
    // One single write tried (with the SDK's own retries), not 60 draining its retry quota.
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(1);
    expect(mostInFlight).toBe(1);
  });

  it('completes a single version with Powertools’ own update', async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    const claims = layer();
    await expect(claims.completeAll(completionsOf(many.slice(0, 1)))).resolves.toEqual([undefined]);
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(1);
  });

  it('refuses more versions than one call may carry', async () => {
    await expect(layer(2).completeAll(completionsOf(many.slice(0, 3)))).rejects.toThrow(
      /at most 2/,
    );
  });
});
