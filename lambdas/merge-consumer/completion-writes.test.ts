import type { BatchWriteItemCommandInput } from '@aws-sdk/client-dynamodb';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchPutOptions, Item } from './completion-writes';
import { UnprocessedItemError, batchPutItems } from './completion-writes';

const dynamo = mockClient(DynamoDBClient);
const items: Item[] = Array.from({ length: 30 }, (_, index) => ({
  id: { S: `k${index}` },
  status: { S: 'COMPLETED' },
}));

function options(overrides: Partial<BatchPutOptions['retry']> = {}, concurrency = 4) {
  const delays: number[] = [];
  const settings: BatchPutOptions = {
    client: new DynamoDBClient({ region: 'us-east-1' }),
    tableName: 'idem',
    keyAttributes: ['id'],
    concurrency,
    retry: {
      maxAttempts: 4,
      baseDelayMs: 100,
      maxDelayMs: 250,
      random: () => 0.999,
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
      ...overrides,
    },
  };
  return { settings, delays };
}

const idsOf = (input: BatchWriteItemCommandInput): (string | undefined)[] =>
  (input.RequestItems?.idem ?? []).map((request) => request.PutRequest?.Item?.id?.S);

beforeEach(() => dynamo.reset());
afterEach(() => dynamo.reset());

describe('batchPutItems', () => {
  it('backs off exponentially (full jitter, capped) and gives up after maxAttempts', async () => {
    dynamo.on(BatchWriteItemCommand).callsFake((input: BatchWriteItemCommandInput) => ({
      UnprocessedItems: {
        idem: (input.RequestItems?.idem ?? []).filter(
          (request) => request.PutRequest?.Item?.id?.S === 'k1',
        ),
      },
    }));
    const { settings, delays } = options();
    const outcomes = await batchPutItems(items.slice(0, 3), settings);
    expect(outcomes[0]).toBeUndefined();
    expect(outcomes[1]).toBeInstanceOf(UnprocessedItemError);
    expect(outcomes[2]).toBeUndefined();
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(4);
    // Caps 100, 200, 250 (max) with random() just under 1; no sleep after the last attempt.
    expect(delays).toEqual([99, 199, 249]);
  });

  it('counts nothing of a chunk as written when its unprocessed items do not match the request', async () => {
    dynamo
      .on(BatchWriteItemCommand)
      .resolvesOnce({
        UnprocessedItems: { idem: [{ PutRequest: { Item: { id: { S: 'not-ours' } } } }] },
      })
      .resolves({});
    const outcomes = await batchPutItems(items, options({}, 1).settings);
    expect(outcomes.slice(0, 25).every((outcome) => outcome instanceof UnprocessedItemError)).toBe(
      true,
    );
    expect(outcomes.slice(25)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(
      dynamo.commandCalls(BatchWriteItemCommand).map((call) => idsOf(call.args[0].input)),
    ).toEqual([
      items.slice(0, 25).map((item) => item.id?.S),
      items.slice(25).map((item) => item.id?.S),
    ]);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    dynamo.on(BatchWriteItemCommand).callsFake(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return {};
    });
    const many = Array.from({ length: 100 }, (_, index) => ({ id: { S: `m${index}` } }));
    await expect(batchPutItems(many, options({}, 2).settings)).resolves.toEqual(
      many.map(() => undefined),
    );
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(4);
    expect(peak).toBe(2);
  });
});
