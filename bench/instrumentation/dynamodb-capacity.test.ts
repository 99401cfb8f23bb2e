import { describe, expect, it } from 'vitest';
import { itemBytes, unitsOfFailure, unitsOfSuccess } from './dynamodb-capacity';

/** An item of about `bytes` bytes: a 2-byte key and a padding attribute. */
const itemOf = (id: string, bytes: number) => ({
  id: { S: id },
  d: { S: 'x'.repeat(bytes - 1 - id.length - 2) },
});

// The worked examples are AWS's own, from the DynamoDB Developer Guide
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ProvisionedThroughput.html,
// awsdocs/amazon-dynamodb-developer-guide doc_source/ProvisionedThroughput.md and transaction-apis.md).
describe('DynamoDB request units by AWS rules', () => {
  it('sizes items by attribute names and values', () => {
    expect(itemBytes({ id: { S: 'abc' } })).toBe(5);
    expect(itemBytes(itemOf('a', 1536))).toBe(1536);
    expect(itemBytes({ n: { N: '12345' } })).toBe(1 + 4);
    expect(itemBytes({ ok: { BOOL: true } })).toBe(3);
  });

  it('BatchGetItem: "a 1.5 KB item and a 6.5 KB item ... 12 KB (4 KB + 8 KB)"; a missing key 1 RRU', () => {
    const input = {
      RequestItems: { t: { Keys: [{}, {}, {}], ConsistentRead: true } },
    };
    const output = { Responses: { t: [itemOf('a', 1536), itemOf('b', 6656)] } };
    expect(unitsOfSuccess('BatchGetItem', input, output)).toEqual({ wru: 0, rru: 3 + 1 });
    const eventually = { RequestItems: { t: { Keys: [{}, {}, {}] } } };
    expect(unitsOfSuccess('BatchGetItem', eventually, output).rru).toBe(2);
  });

  it('BatchGetItem: unprocessed keys cost nothing', () => {
    const input = { RequestItems: { t: { Keys: [{}, {}, {}, {}], ConsistentRead: true } } };
    const output = { Responses: { t: [] }, UnprocessedKeys: { t: { Keys: [{}, {}, {}] } } };
    expect(unitsOfSuccess('BatchGetItem', input, output).rru).toBe(1);
  });

  it('TransactWriteItems: "three 500-byte items ... six WCUs"', () => {
    const put = (id: string) => ({ Put: { TableName: 't', Item: itemOf(id, 500) } });
    const input = { TransactItems: [put('a'), put('b'), put('c')] };
    // DynamoDB Local answers 12 here; AWS bills 6.
    const output = { ConsumedCapacity: [{ TableName: 't', CapacityUnits: 12 }] };
    expect(unitsOfSuccess('TransactWriteItems', input, output)).toEqual({ wru: 6, rru: 0 });
    expect(unitsOfFailure('TransactWriteItems', input, 'TransactionCanceledException').wru).toBe(6);
  });

  it('takes the reported figure where DynamoDB Local reports what AWS bills', () => {
    const output = { ConsumedCapacity: [{ TableName: 't', CapacityUnits: 5 }] };
    expect(unitsOfSuccess('BatchWriteItem', {}, output)).toEqual({ wru: 5, rru: 0 });
    expect(unitsOfSuccess('GetItem', {}, { ConsumedCapacity: { CapacityUnits: 0.5 } })).toEqual({
      wru: 0,
      rru: 0.5,
    });
    expect(unitsOfSuccess('DescribeTable', {}, output)).toEqual({ wru: 0, rru: 0 });
  });

  it('a failed conditional write of a new item: 1 WCU; of a 2 KB item: 2; a throttle: nothing', () => {
    const failed = 'ConditionalCheckFailedException';
    expect(unitsOfFailure('PutItem', { Item: itemOf('a', 300) }, failed).wru).toBe(1);
    expect(unitsOfFailure('PutItem', { Item: itemOf('a', 2048) }, failed).wru).toBe(2);
    expect(unitsOfFailure('UpdateItem', {}, failed).wru).toBe(1);
    expect(unitsOfFailure('PutItem', {}, 'ProvisionedThroughputExceededException').wru).toBe(0);
  });
});
