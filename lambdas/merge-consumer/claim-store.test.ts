import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaimChangedError, STAGING_KEY_ATTR, StagingClaimPersistenceLayer } from './claim-store';

const dynamo = mockClient(DynamoDBClient);
const versionA = 'CUSTOMER#c-1#' + 'a'.repeat(64);
const versionB = 'CUSTOMER#c-2#' + 'b'.repeat(64);

/** What Powertools writes as `id`: `<prefix>#<base64 md5 of the JSON of the data the JMESPath selects>`. */
function expectedId(prefix: string, selected: unknown): string {
  return `${prefix}#${createHash('md5').update(JSON.stringify(selected)).digest('base64')}`;
}

function layer(): StagingClaimPersistenceLayer {
  return new StagingClaimPersistenceLayer({
    tableName: 'idem',
    client: new DynamoDBClient({ region: 'us-east-1' }),
  });
}

function conflict(
  item: Record<string, { S: string } | { N: string }>,
): ConditionalCheckFailedException {
  const error = new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
  });
  Object.assign(error, { Item: item });
  return error;
}

beforeEach(() => dynamo.reset());
afterEach(() => dynamo.reset());

describe('the idempotency key really hashed', () => {
  it('is merge-consumer#md5(JSON of eventType#id#contentHash), one per record version', async () => {
    dynamo.on(PutItemCommand).resolves({});
    const claims = layer();
    await claims.claim(versionA, 'staging/2026/01/15/k1.json');
    await claims.claim(versionB, 'staging/2026/01/15/k1.json');
    const ids = dynamo.commandCalls(PutItemCommand).map((call) => call.args[0].input.Item?.id?.S);
    expect(ids).toEqual([
      expectedId('merge-consumer', versionA),
      expectedId('merge-consumer', versionB),
    ]);
    expect(claims.idempotencyKeyOf(versionA)).toBe(ids[0]);
  });

  it('shows why the `&` JMESPath of the Kafka snippet is wrong: `&` is an expression reference, not concatenation', async () => {
    dynamo.on(PutItemCommand).resolves({});
    const client = new DynamoDBClient({ region: 'us-east-1' });
    const expressionReference = new DynamoDBPersistenceLayer({
      tableName: 'idem',
      awsSdkV3Client: client,
    });
    expressionReference.configure({
      config: new IdempotencyConfig({ eventKeyJmesPath: '&recordVersion' }),
      keyPrefix: 'merge-consumer',
    });
    const warn = console.warn;
    console.warn = () => undefined;
    try {
      await expressionReference.saveInProgress({ recordVersion: versionA }, 1000);
      await expressionReference.saveInProgress({ recordVersion: versionB }, 1000);
    } finally {
      console.warn = warn;
    }
    const ids = dynamo.commandCalls(PutItemCommand).map((call) => call.args[0].input.Item?.id?.S);
    // Both versions hash the expression object (JSON `{}`): every record after the first would be a "duplicate".
    expect(ids).toEqual([expectedId('merge-consumer', {}), expectedId('merge-consumer', {})]);

    const concatenation = new DynamoDBPersistenceLayer({
      tableName: 'idem',
      awsSdkV3Client: client,
    });
    concatenation.configure({
      config: new IdempotencyConfig({ eventKeyJmesPath: "eventType & '#' & payload.id" }),
    });
    await expect(
      concatenation.saveInProgress({ eventType: 'CUSTOMER', payload: { id: 'c-1' } }, 1000),
    ).rejects.toThrow(/Invalid jmespath expression/);
  });
});

describe('claim', () => {
  it('writes an INPROGRESS item naming its staging object, which an expired in-progress claim does not bypass', async () => {
    dynamo.on(PutItemCommand).resolves({});
    const claims = layer();
    claims.registerLambdaContext({ getRemainingTimeInMillis: () => 30_000 });
    const before = Date.now();
    await expect(claims.claim(versionA, 'staging/2026/01/15/k1.json')).resolves.toEqual({
      kind: 'claimed',
    });
    const input = dynamo.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(input.TableName).toBe('idem');
    expect(input.Item?.status).toEqual({ S: 'INPROGRESS' });
    expect(input.Item?.[STAGING_KEY_ATTR]).toEqual({ S: 'staging/2026/01/15/k1.json' });
    const inProgressExpiry = Number(input.Item?.in_progress_expiration?.N);
    expect(inProgressExpiry).toBeGreaterThanOrEqual(before + 30_000);
    expect(inProgressExpiry).toBeLessThanOrEqual(Date.now() + 30_000);
    expect(Number(input.Item?.expiration?.N)).toBeGreaterThan(before / 1000 + 7 * 24 * 3600 - 5);
    expect(input.ConditionExpression).toBe('attribute_not_exists(#id) OR #expiry < :now');
    expect(input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it('reports a COMPLETED item as completed', async () => {
    dynamo
      .on(PutItemCommand)
      .rejects(
        conflict({ id: { S: 'x' }, status: { S: 'COMPLETED' }, expiration: { N: '9999999999' } }),
      );
    await expect(layer().claim(versionA, 'k2')).resolves.toEqual({ kind: 'completed' });
  });

  it('reports an INPROGRESS item with the staging object it belongs to', async () => {
    dynamo
      .on(PutItemCommand)
      .rejectsOnce(
        conflict({ id: { S: 'x' }, status: { S: 'INPROGRESS' }, [STAGING_KEY_ATTR]: { S: 'k1' } }),
      )
      .rejectsOnce(conflict({ id: { S: 'x' }, status: { S: 'INPROGRESS' } }));
    const claims = layer();
    await expect(claims.claim(versionA, 'k2')).resolves.toEqual({
      kind: 'in-progress',
      stagingKey: 'k1',
    });
    await expect(claims.claim(versionA, 'k2')).resolves.toEqual({
      kind: 'in-progress',
      stagingKey: undefined,
    });
  });

  it('lets other errors through', async () => {
    dynamo.on(PutItemCommand).rejects(new Error('throttled'));
    await expect(layer().claim(versionA, 'k2')).rejects.toThrow('throttled');
  });
});

describe('takeOver and complete', () => {
  it('moves an INPROGRESS claim only if it still names the object it was read with', async () => {
    dynamo.on(UpdateItemCommand).resolvesOnce({}).rejectsOnce(conflict({}));
    const claims = layer();
    await claims.takeOver(versionA, 'k1', 'k2');
    const input = dynamo.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(input.Key).toEqual({ id: { S: claims.idempotencyKeyOf(versionA) } });
    expect(input.ConditionExpression).toBe('#status = :inProgress AND #staging = :from');
    expect(input.ExpressionAttributeValues?.[':from']).toEqual({ S: 'k1' });
    expect(input.ExpressionAttributeValues?.[':to']).toEqual({ S: 'k2' });
    await expect(claims.takeOver(versionA, undefined, 'k2')).rejects.toBeInstanceOf(
      ClaimChangedError,
    );
    expect(dynamo.commandCalls(UpdateItemCommand)[1]!.args[0].input.ConditionExpression).toBe(
      '#status = :inProgress AND attribute_not_exists(#staging)',
    );
  });

  it('completes with the staging key as the stored result', async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    const claims = layer();
    await claims.complete(versionA, 'staging/2026/01/15/k1.json');
    const input = dynamo.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(input.Key).toEqual({ id: { S: claims.idempotencyKeyOf(versionA) } });
    expect(input.ExpressionAttributeValues?.[':status']).toEqual({ S: 'COMPLETED' });
    expect(input.ExpressionAttributeValues?.[':response_data']).toEqual({
      M: { stagingKey: { S: 'staging/2026/01/15/k1.json' } },
    });
  });
});
