/**
 * Request units of one attempt as AWS bills them (docs/benchmarks.md), from
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ read-write-operations.html,
 * transaction-apis.html#transaction-capacity-handling and
 * WorkingWithItems.html#WorkingWithItems.ConditionalWrites.ReturnConsumedCapacity.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { sum } from '../report/percentiles';

export interface RequestUnits {
  wru: number;
  rru: number;
}

const writeOperations = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
const readOperations = new Set(['GetItem', 'BatchGetItem', 'TransactGetItems', 'Query', 'Scan']);
/** The operations ReturnConsumedCapacity applies to. */
export const dataPlaneOperations = new Set([
  ...writeOperations,
  ...readOperations,
  'TransactWriteItems',
]);

type Item = Record<string, AttributeValue>;

/** An item's size by AWS's "Item sizes and formats" rules, exact enough to round to 1 KB / 4 KB units. */
export function itemBytes(item: Item): number {
  return sum(Object.entries(item), ([name, value]) => Buffer.byteLength(name) + valueBytes(value));
}

function valueBytes(raw: unknown): number {
  // A lib-dynamodb client may hand back plain values: their JSON length is near enough.
  if (raw === undefined) return 0;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return Buffer.byteLength(JSON.stringify(raw));
  }
  const value = raw as AttributeValue;
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return sum(value.SS, (v) => Buffer.byteLength(v));
  if (value.NS !== undefined) return sum(value.NS, numberBytes);
  if (value.BS !== undefined) return sum(value.BS, (v) => v.byteLength);
  if (value.L !== undefined) return 3 + sum(value.L, (v) => 1 + valueBytes(v));
  if (value.M !== undefined)
    return 3 + sum(Object.entries(value.M), ([k, v]) => 1 + k.length + valueBytes(v));
  return Buffer.byteLength(JSON.stringify(value));
}

function numberBytes(n: string): number {
  const digits = n.replace(/[^0-9]/g, '').replace(/^0+|0+$/g, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

const writeUnits = (item: Item | undefined): number =>
  item === undefined ? 1 : Math.max(1, Math.ceil(itemBytes(item) / 1024));
const readUnits = (item: Item | undefined): number =>
  item === undefined ? 1 : Math.max(1, Math.ceil(itemBytes(item) / 4096));

/** 2 units per item: a Put by its item's size, Update/Delete/ConditionCheck at the 1 KB minimum. */
function transactWriteUnits(input: object): number {
  const items = (Reflect.get(input, 'TransactItems') ?? []) as Array<{ Put?: { Item?: Item } }>;
  return sum(items, (action) => 2 * writeUnits(action.Put?.Item));
}

type KeysAndAttributes = { Keys?: unknown[]; ConsistentRead?: boolean };

/** Each processed key as a GetItem: found items by size (per 4 KB), missing ones 1; half if eventual. */
function batchGetUnits(input: object, output: object): number {
  const requested = (Reflect.get(input, 'RequestItems') ?? {}) as Record<string, KeysAndAttributes>;
  const responses = (Reflect.get(output, 'Responses') ?? {}) as Record<string, Item[]>;
  const unprocessed = (Reflect.get(output, 'UnprocessedKeys') ?? {}) as typeof requested;
  let units = 0;
  for (const [table, request] of Object.entries(requested)) {
    const found = responses[table] ?? [];
    const processed = (request.Keys?.length ?? 0) - (unprocessed[table]?.Keys?.length ?? 0);
    const strongly = sum(found, readUnits) + Math.max(0, processed - found.length);
    units += request.ConsistentRead === true ? strongly : strongly / 2;
  }
  return units;
}

export function unitsOfSuccess(operation: string, input: object, output: object): RequestUnits {
  if (operation === 'TransactWriteItems') return { wru: transactWriteUnits(input), rru: 0 };
  if (operation === 'BatchGetItem') return { wru: 0, rru: batchGetUnits(input, output) };
  if (operation === 'TransactGetItems') {
    const responses = (Reflect.get(output, 'Responses') ?? []) as Array<{ Item?: Item }>;
    return { wru: 0, rru: sum(responses, (r) => 2 * readUnits(r.Item)) };
  }
  const consumed: unknown = Reflect.get(output, 'ConsumedCapacity');
  const list = [consumed ?? []].flat() as Array<{ CapacityUnits?: number }>;
  const units = sum(list, (entry) => entry.CapacityUnits ?? 0);
  if (writeOperations.has(operation)) return { wru: units, rru: 0 };
  return { wru: 0, rru: readOperations.has(operation) ? units : 0 };
}

/** A failed condition costs the write, a cancelled transaction 2 per item; other errors nothing. */
export function unitsOfFailure(operation: string, input: object, errorName: string): RequestUnits {
  if (errorName === 'ConditionalCheckFailedException' && writeOperations.has(operation)) {
    return { wru: writeUnits(Reflect.get(input, 'Item') as Item | undefined), rru: 0 };
  }
  if (errorName === 'TransactionCanceledException' && operation === 'TransactWriteItems') {
    return { wru: transactWriteUnits(input), rru: 0 };
  }
  return { wru: 0, rru: 0 };
}
