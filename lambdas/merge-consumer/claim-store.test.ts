import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pipeline } from '../shared/pipeline';
import type { StagingClaimPersistenceOptions } from './claim-store';
import {
  IDEMPOTENCY_KEY_JMESPATH,
  STAGING_KEY_ATTR,
  StagingClaimPersistenceLayer,
  UnprocessedError,
  idempotencyData,
} from './claim-store';

const dynamo = mockClient(DynamoDBClient);
const versionA = 'CUSTOMER#c-1#' + 'a'.repeat(64);
const versionB = 'CUSTOMER#c-2#' + 'b'.repeat(64);
const stagingKey = 'staging/2026/01/15/k1.json';
const versions = (count: number): string[] =>
  Array.from({ length: count }, (_, index) => `CUSTOMER#c-${index}#${'c'.repeat(64)}`);

/** What Powertools writes as `id`: `<prefix>#<base64 md5 of the JSON of the data the JMESPath selects>`. */
function expectedId(prefix: string, selected: unknown): string {
  return `${prefix}#${createHash('md5').update(JSON.stringify(selected)).digest('base64')}`;
}

const delays: number[] = [];
function layer(
  options: Partial<StagingClaimPersistenceOptions> = {},
): StagingClaimPersistenceLayer {
  return new StagingClaimPersistenceLayer({
    tableName: 'idem',
    client: new DynamoDBClient({ region: 'us-east-1' }),
    unprocessedRetry: {
      maxAttempts: 3,
      random: () => 0.5,
      sleep: async (ms) => void delays.push(ms),
    },
    ...options,
  });
}

type Item = Record<string, AttributeValue>;
const putItems = (): Item[] =>
  dynamo
    .commandCalls(BatchWriteItemCommand)
    .flatMap((call) => call.args[0].input.RequestItems?.idem ?? [])
    .map((request) => request.PutRequest!.Item!);

beforeEach(() => {
  dynamo.reset();
  delays.length = 0;
});
afterEach(() => dynamo.reset());

describe('the idempotency key really hashed', () => {
  it('is merge-consumer#md5(JSON of eventType#id#contentHash), one per record version', async () => {
    dynamo.on(BatchWriteItemCommand).resolves({});
    const claims = layer();
    await claims.claim([versionA, versionB], stagingKey);
    const ids = putItems().map((item) => item.id?.S);
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
  it('puts the item Powertools’ own saveInProgress puts, plus stagingKey, unconditionally', async () => {
    dynamo.on(BatchWriteItemCommand).resolves({});
    dynamo.on(PutItemCommand).resolves({});
    const claims = layer();
    claims.registerLambdaContext({ getRemainingTimeInMillis: () => 30_000 });
    const before = Date.now();
    await claims.claim([versionA], stagingKey);
    const powertools = new DynamoDBPersistenceLayer({
      tableName: 'idem',
      awsSdkV3Client: new DynamoDBClient({ region: 'us-east-1' }),
    });
    powertools.configure({
      config: new IdempotencyConfig({
        eventKeyJmesPath: IDEMPOTENCY_KEY_JMESPATH,
        expiresAfterSeconds: pipeline.mergeConsumer.idempotencyTtlSeconds,
      }),
      keyPrefix: 'merge-consumer',
    });
    await powertools.saveInProgress(idempotencyData(versionA), 30_000);
    const reference = dynamo.commandCalls(PutItemCommand)[0]!.args[0].input.Item!;

    const [item] = putItems();
    const { [STAGING_KEY_ATTR]: named, ...rest } = item!;
    expect(named).toEqual({ S: stagingKey });
    expect(Object.keys(rest).sort()).toEqual(Object.keys(reference).sort());
    expect(rest.id).toEqual(reference.id);
    expect(rest.status).toEqual({ S: 'INPROGRESS' });
    expect(Math.abs(Number(rest.expiration?.N) - Number(reference.expiration?.N))).toBeLessThan(2);
    const inProgressExpiry = Number(rest.in_progress_expiration?.N);
    expect(inProgressExpiry).toBeGreaterThanOrEqual(before + 30_000);
    expect(inProgressExpiry).toBeLessThanOrEqual(Date.now() + 30_000);
    expect(Number(rest.expiration?.N)).toBeGreaterThan(before / 1000 + 7 * 24 * 3600 - 5);
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it('writes claimsPerRequest puts per BatchWriteItem, at most `concurrency` requests at once', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    dynamo.on(BatchWriteItemCommand).callsFake(async () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return {};
    });
    await layer({ concurrency: 2 }).claim(versions(60), stagingKey);
    const sizes = dynamo
      .commandCalls(BatchWriteItemCommand)
      .map((call) => call.args[0].input.RequestItems?.idem?.length);
    expect(sizes).toEqual([25, 25, 10]);
    expect(maxInFlight).toBe(2);
    dynamo.resetHistory();
    await layer({ claimsPerRequest: 10 }).claim(versions(25), stagingKey);
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(3);
  });

  it('sends unprocessed items again with backoff until none is left', async () => {
    dynamo
      .on(BatchWriteItemCommand)
      .callsFakeOnce(async (input: { RequestItems: Record<string, unknown[]> }) => ({
        UnprocessedItems: { idem: input.RequestItems.idem!.slice(1) },
      }))
      .resolves({});
    await layer().claim([versionA, versionB], stagingKey);
    const calls = dynamo.commandCalls(BatchWriteItemCommand);
    expect(calls).toHaveLength(2);
    expect(
      calls[1]!.args[0].input.RequestItems?.idem?.map((r) => r.PutRequest?.Item?.id?.S),
    ).toEqual([expectedId('merge-consumer', versionB)]);
    expect(delays).toEqual([12]);
  });

  it('rejects when items are still unprocessed after the last attempt, or a request fails', async () => {
    dynamo
      .on(BatchWriteItemCommand)
      .callsFake(async (input: { RequestItems: Record<string, unknown[]> }) => ({
        UnprocessedItems: input.RequestItems,
      }));
    await expect(layer().claim([versionA], stagingKey)).rejects.toBeInstanceOf(UnprocessedError);
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(3);
    dynamo.reset();
    dynamo.on(BatchWriteItemCommand).rejects(new Error('ServiceUnavailable'));
    await expect(layer().claim([versionA], stagingKey)).rejects.toThrow('ServiceUnavailable');
  });
});

describe('read', () => {
  const now = Math.floor(Date.now() / 1000);
  const item = (versionKey: string, fields: Item): Item => ({
    id: { S: layer().idempotencyKeyOf(versionKey) },
    expiration: { N: String(now + 3600) },
    ...fields,
  });

  it('reads every version strongly consistently, 100 keys per BatchGetItem, answers in order', async () => {
    const keys = versions(250);
    const claims = layer();
    dynamo
      .on(BatchGetItemCommand)
      .callsFake(async (input: { RequestItems: { idem: { Keys: Item[] } } }) => ({
        Responses: {
          idem: input.RequestItems.idem.Keys.filter((_, index) => index % 2 === 0).map((key) => ({
            ...key,
            status: { S: 'INPROGRESS' },
            expiration: { N: String(now + 3600) },
            [STAGING_KEY_ATTR]: { S: stagingKey },
          })),
        },
      }));
    const stored = await claims.read(keys);
    const calls = dynamo.commandCalls(BatchGetItemCommand);
    expect(calls.map((call) => call.args[0].input.RequestItems?.idem?.Keys?.length)).toEqual([
      100, 100, 50,
    ]);
    expect(calls.every((call) => call.args[0].input.RequestItems?.idem?.ConsistentRead)).toBe(true);
    expect(stored).toHaveLength(250);
    expect(stored[0]).toEqual({ status: 'INPROGRESS', stagingKey });
    expect(stored[1]).toBeUndefined();
  });

  it('tells INPROGRESS, COMPLETED (as Powertools’ saveSuccess leaves it), EXPIRED and absent apart', async () => {
    const [inProgress, completed, expired, absent] = versions(4);
    dynamo.on(BatchGetItemCommand).resolves({
      Responses: {
        idem: [
          item(completed!, {
            status: { S: 'COMPLETED' },
            data: { M: { stagingKey: { S: 'staging/old.json' } } },
            in_progress_expiration: { N: String(Date.now()) },
          }),
          item(inProgress!, { status: { S: 'INPROGRESS' }, [STAGING_KEY_ATTR]: { S: stagingKey } }),
          item(expired!, { status: { S: 'COMPLETED' }, expiration: { N: String(now - 10) } }),
        ],
      },
    });
    await expect(layer().read([inProgress!, completed!, expired!, absent!])).resolves.toEqual([
      { status: 'INPROGRESS', stagingKey },
      { status: 'COMPLETED', stagingKey: undefined },
      { status: 'EXPIRED', stagingKey: undefined },
      undefined,
    ]);
  });

  it('sends unprocessed keys again, and rejects when some are left after the last attempt', async () => {
    const claims = layer();
    const keyA = { id: { S: claims.idempotencyKeyOf(versionA) } };
    const keyB = { id: { S: claims.idempotencyKeyOf(versionB) } };
    dynamo
      .on(BatchGetItemCommand)
      .resolvesOnce({
        Responses: { idem: [{ ...keyA, status: { S: 'COMPLETED' } }] },
        UnprocessedKeys: { idem: { Keys: [keyB], ConsistentRead: true } },
      })
      .resolves({ Responses: { idem: [{ ...keyB, status: { S: 'COMPLETED' } }] } });
    await expect(claims.read([versionA, versionB])).resolves.toEqual([
      { status: 'COMPLETED', stagingKey: undefined },
      { status: 'COMPLETED', stagingKey: undefined },
    ]);
    expect(dynamo.commandCalls(BatchGetItemCommand)[1]!.args[0].input.RequestItems?.idem).toEqual({
      Keys: [keyB],
      ConsistentRead: true,
    });
    dynamo.reset();
    dynamo.on(BatchGetItemCommand).resolves({
      UnprocessedKeys: { idem: { Keys: [keyA], ConsistentRead: true } },
    });
    await expect(claims.read([versionA])).rejects.toBeInstanceOf(UnprocessedError);
  });
});
