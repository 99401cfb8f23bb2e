import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB request units of one attempt, as DynamoDB bills them. The counter (aws-sdk-counter.ts)
 * sets `ReturnConsumedCapacity: 'TOTAL'` on every data-plane request and takes the figure the
 * server returns where DynamoDB Local returns what AWS documents; where it does not, the units
 * are computed from AWS's rules. What DynamoDB Local (2.x) does, checked against a live server:
 * - PutItem, UpdateItem, DeleteItem, BatchWriteItem, GetItem, Query, Scan: returns AWS's figures
 *   (1 unit per 1 KB written, per 4 KB read strongly consistent, half eventually consistent).
 * - TransactWriteItems: returns 4 units per KB written, twice AWS's "two underlying writes of
 *   every item" (transaction-apis.html#transaction-capacity-handling): computed.
 * - BatchGetItem: returns 0 for a key that is not in the table, where AWS bills each key as a
 *   GetItem and "a strongly consistent read request of a nonexistent item consumes 1 RCU"
 *   (ProvisionedThroughput.html, read-write-operations.html): computed.
 * - Failed conditional writes and cancelled transactions: no figure at all (an error carries
 *   none), where AWS "still consumes write capacity": 1 unit for an item not in the table, else
 *   the size of the item (WorkingWithItems.html#WorkingWithItems.ConditionalWrites.ReturnConsumedCapacity);
 *   a cancelled transaction still pays its two writes per item (read-write-operations.html): computed.
 * Sources: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html.
 */
export interface RequestUnits {
  wru: number;
  rru: number;
}

/** Operations that read or write items: the ones a ReturnConsumedCapacity applies to. */
export const dataPlaneOperations = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
  'GetItem',
  'BatchGetItem',
  'TransactGetItems',
  'Query',
  'Scan',
]);
const writeOperations = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
/** Where DynamoDB Local's ConsumedCapacity is AWS's (see above). */
const reportedAsOnAws = new Set([...writeOperations, 'GetItem', 'Query', 'Scan']);

type Item = Record<string, AttributeValue>;

/**
 * Approximate stored size of an item in bytes, by AWS's "Item sizes and formats" rules
 * (CapacityUnitCalculations.html): attribute name bytes plus value bytes; a number is about one
 * byte per two significant digits plus one; lists and maps add 3 bytes plus 1 per element. Exact
 * enough to round to 1 KB / 4 KB units, which is all billing uses.
 */
export function itemBytes(item: Item): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name, 'utf8') + valueBytes(value);
  }
  return bytes;
}

function valueBytes(value: AttributeValue): number {
  // A lib-dynamodb client may hand back plain values: their JSON length is near enough.
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  }
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((s, v) => s + Buffer.byteLength(v), 0);
  if (value.NS !== undefined) return value.NS.reduce((s, v) => s + numberBytes(v), 0);
  if (value.BS !== undefined) return value.BS.reduce((s, v) => s + v.byteLength, 0);
  if (value.L !== undefined) {
    return 3 + value.L.reduce((s, v) => s + 1 + valueBytes(v), 0);
  }
  if (value.M !== undefined) {
    return 3 + Object.entries(value.M).reduce((s, [k, v]) => s + 1 + k.length + valueBytes(v), 0);
  }
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

function numberBytes(n: string): number {
  const digits = n
    .replace(/[^0-9]/g, '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

const writeUnits = (item: Item | undefined): number =>
  item === undefined ? 1 : Math.max(1, Math.ceil(itemBytes(item) / 1024));
const readUnits = (item: Item | undefined): number =>
  item === undefined ? 1 : Math.max(1, Math.ceil(itemBytes(item) / 4096));

function reportedUnits(output: object): number {
  const consumed: unknown = Reflect.get(output, 'ConsumedCapacity');
  const list: unknown[] = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  return list.reduce<number>((sum, entry) => {
    const units: unknown =
      typeof entry === 'object' && entry !== null ? Reflect.get(entry, 'CapacityUnits') : 0;
    return sum + (typeof units === 'number' ? units : 0);
  }, 0);
}

interface TransactWrite {
  Put?: { Item?: Item };
  Update?: unknown;
  Delete?: unknown;
  ConditionCheck?: unknown;
}

/** 2 units per item: Put by its item's size, Update/Delete/ConditionCheck at the 1 KB minimum. */
function transactWriteUnits(input: object): number {
  const items: unknown = Reflect.get(input, 'TransactItems');
  if (!Array.isArray(items)) return 0;
  return (items as TransactWrite[]).reduce(
    (sum, action) => sum + 2 * writeUnits(action.Put?.Item),
    0,
  );
}

interface KeysAndAttributes {
  Keys?: unknown[];
  ConsistentRead?: boolean;
}

/** Each processed key as a GetItem: found items by size (per 4 KB), missing ones 1; half if eventual. */
function batchGetUnits(input: object, output: object): number {
  const requested = (Reflect.get(input, 'RequestItems') ?? {}) as Record<string, KeysAndAttributes>;
  const responses = (Reflect.get(output, 'Responses') ?? {}) as Record<string, Item[]>;
  const unprocessed = (Reflect.get(output, 'UnprocessedKeys') ?? {}) as Record<
    string,
    KeysAndAttributes
  >;
  let units = 0;
  for (const [table, request] of Object.entries(requested)) {
    const found = responses[table] ?? [];
    const processed = (request.Keys?.length ?? 0) - (unprocessed[table]?.Keys?.length ?? 0);
    const strongly =
      found.reduce((sum, item) => sum + readUnits(item), 0) + Math.max(0, processed - found.length);
    units += request.ConsistentRead === true ? strongly : strongly / 2;
  }
  return units;
}

/** Units of an attempt that DynamoDB answered with `output`. */
export function unitsOfSuccess(operation: string, input: object, output: object): RequestUnits {
  if (operation === 'TransactWriteItems') return { wru: transactWriteUnits(input), rru: 0 };
  if (operation === 'BatchGetItem') return { wru: 0, rru: batchGetUnits(input, output) };
  if (operation === 'TransactGetItems') {
    const responses: unknown = Reflect.get(output, 'Responses');
    const items = Array.isArray(responses) ? (responses as Array<{ Item?: Item }>) : [];
    return { wru: 0, rru: items.reduce((sum, r) => sum + 2 * readUnits(r.Item), 0) };
  }
  if (!reportedAsOnAws.has(operation)) return { wru: 0, rru: 0 };
  const units = reportedUnits(output);
  return writeOperations.has(operation) ? { wru: units, rru: 0 } : { wru: 0, rru: units };
}

/**
 * Units of an attempt DynamoDB refused: a failed condition costs the write (the new item's size,
 * at least 1), a cancelled transaction its two writes per item; throttles, validation and server
 * errors cost nothing.
 */
export function unitsOfFailure(operation: string, input: object, errorName: string): RequestUnits {
  if (errorName === 'ConditionalCheckFailedException' && writeOperations.has(operation)) {
    const item = Reflect.get(input, 'Item') as Item | undefined;
    return { wru: writeUnits(item), rru: 0 };
  }
  if (errorName === 'TransactionCanceledException' && operation === 'TransactWriteItems') {
    return { wru: transactWriteUnits(input), rru: 0 };
  }
  return { wru: 0, rru: 0 };
}
