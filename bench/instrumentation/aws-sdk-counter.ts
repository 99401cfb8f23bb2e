import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type {
  InitializeHandler,
  InitializeHandlerArguments,
  InitializeHandlerOutput,
  InitializeMiddleware,
  DeserializeHandler,
  DeserializeHandlerArguments,
  DeserializeHandlerOutput,
  DeserializeMiddleware,
  HandlerExecutionContext,
  MiddlewareStack,
} from '@smithy/types';
import { dataPlaneOperations, unitsOfFailure, unitsOfSuccess } from './dynamodb-capacity';
import type { RequestUnits } from './dynamodb-capacity';
import type { RequestTally } from './request-tally';

type Send = (this: SdkClient, ...args: unknown[]) => unknown;
/** Any SDK v3 client (DynamoDBClient, S3Client, a lib-dynamodb document client, …). */
export interface SdkClient<Input extends object = object, Output extends object = object> {
  middlewareStack: MiddlewareStack<Input, Output>;
}
interface SdkClientPrototype {
  send: Send;
}

/**
 * One middleware name per tally: adding a tally's counter to a client twice replaces it (never
 * counts twice), while counters of different tallies (the thread's and a caller's own) coexist.
 */
const middlewareNames = new WeakMap<RequestTally, string>();
let namedTallies = 0;
function middlewareNameOf(tally: RequestTally): string {
  let name = middlewareNames.get(tally);
  if (name === undefined) {
    name = `benchRequestCounter${++namedTallies}`;
    middlewareNames.set(tally, name);
  }
  return name;
}

/**
 * Counts every HTTP request the AWS SDK sends in this thread, by service and operation
 * (`dynamodb.PutItem`, `s3.PutObject`), retries included: the middleware sits in the
 * `deserialize` step, which the retry middleware (finalizeRequest) runs once per attempt, and
 * times each attempt (RequestTally.addLatency). DynamoDB data-plane requests also ask for
 * `ReturnConsumedCapacity: 'TOTAL'` and add the request units each attempt consumed as
 * `dynamodb.<operation>.wru` / `.rru` (dynamodb-capacity.ts says where they come from).
 *
 * Every SDK v3 client class extends one base `Client` (@smithy/core/client) whose `send` builds
 * the handler from `this.middlewareStack`; wrapping that `send` adds the counter to each client's
 * stack before its first request, whoever built the client (handler code, Powertools idempotency,
 * lib-dynamodb), without touching production code. If a second copy of the base class were
 * installed, clients built on it would escape the patch: the check below refuses to run then.
 */
export function installAwsSdkRequestCounter(tally: RequestTally): void {
  const base = sharedClientPrototype();
  if (patchedPrototypes.has(base)) return;
  patchedPrototypes.add(base);
  const instrumented = new WeakSet<object>();
  const originalSend = base.send;
  base.send = function (this: SdkClient, ...args: unknown[]) {
    const stack = this.middlewareStack;
    if (!instrumented.has(stack)) {
      instrumented.add(stack);
      countAwsSdkRequests(this, tally);
    }
    return originalSend.apply(this, args);
  };
}

/**
 * Counts (and times) the requests of one client into `tally`: what the global patch adds to every
 * client, for code that must count its own clients only (the per-record baseline shares its thread
 * with the bench's setup clients). Adding the same tally's counter again to a client replaces it.
 */
export function countAwsSdkRequests<Input extends object, Output extends object>(
  client: SdkClient<Input, Output>,
  tally: RequestTally,
): void {
  const middlewareName = middlewareNameOf(tally);
  // Around the deserializer (as lib-dynamodb's unmarshaller is): sees each attempt's parsed
  // output or modelled error.
  client.middlewareStack.addRelativeTo(countingMiddleware<Input, Output>(tally), {
    relation: 'before',
    toMiddleware: 'deserializerMiddleware',
    name: middlewareName,
    override: true,
  });
  client.middlewareStack.add(itemCountingMiddleware<Input, Output>(tally), {
    step: 'initialize',
    name: `${middlewareName}Items`,
    override: true,
  });
}

const patchedPrototypes = new WeakSet<object>();

/** The base class both clients extend; throws when they do not share one (duplicate installs). */
export function sharedClientPrototype(): SdkClientPrototype {
  const dynamodbBase: unknown = Object.getPrototypeOf(DynamoDBClient.prototype);
  const s3Base: unknown = Object.getPrototypeOf(S3Client.prototype);
  if (dynamodbBase !== s3Base || !isClientPrototype(dynamodbBase)) {
    throw new Error(
      'DynamoDBClient and S3Client do not extend the same @smithy/core Client: two copies are ' +
        'installed (check `npm ls @smithy/core`), so an SDK request counter would miss clients',
    );
  }
  return dynamodbBase;
}

function isClientPrototype(value: unknown): value is SdkClientPrototype {
  return (
    typeof value === 'object' && value !== null && typeof Reflect.get(value, 'send') === 'function'
  );
}

function countingMiddleware<Input extends object, Output extends object>(
  tally: RequestTally,
): DeserializeMiddleware<Input, Output> {
  return (next: DeserializeHandler<Input, Output>, context: HandlerExecutionContext) =>
    async (args: DeserializeHandlerArguments<Input>): Promise<DeserializeHandlerOutput<Output>> => {
      const service = serviceOf(context.clientName);
      const operation = operationOf(context.commandName);
      const key = `${service}.${operation}`;
      const billed = service === 'dynamodb' && dataPlaneOperations.has(operation);
      const addUnits = (units: RequestUnits): void => {
        if (units.wru > 0) tally.add(`${key}.wru`, units.wru);
        if (units.rru > 0) tally.add(`${key}.rru`, units.rru);
      };
      tally.add(key);
      const startedAt = performance.now();
      try {
        const result = await next(args);
        if (billed) addUnits(unitsOfSuccess(operation, args.input, result.output ?? {}));
        return result;
      } catch (error) {
        if (billed && error instanceof Error) {
          addUnits(unitsOfFailure(operation, args.input, error.name));
        }
        throw error;
      } finally {
        // One attempt's round trip (sending, the server's answer, deserializing it).
        tally.addLatency(key, performance.now() - startedAt);
      }
    };
}

/**
 * DynamoDB bills batch and transactional calls per item, not per request: count the items of
 * each such call as `dynamodb.<operation>.items` (once per call, from its input). Asks DynamoDB
 * for the consumed capacity of every data-plane call (a copy of the input: the caller's object is
 * left alone).
 */
function itemCountingMiddleware<Input extends object, Output extends object>(
  tally: RequestTally,
): InitializeMiddleware<Input, Output> {
  return (next: InitializeHandler<Input, Output>, context: HandlerExecutionContext) =>
    (args: InitializeHandlerArguments<Input>): Promise<InitializeHandlerOutput<Output>> => {
      const service = serviceOf(context.clientName);
      const operation = operationOf(context.commandName);
      const items = itemsOf(args.input);
      if (items !== undefined) tally.add(`${service}.${operation}.items`, items);
      if (service === 'dynamodb' && dataPlaneOperations.has(operation)) {
        const input = { ...args.input, ReturnConsumedCapacity: 'TOTAL' };
        return next({ ...args, input });
      }
      return next(args);
    };
}

/** Items of a TransactWriteItems/TransactGetItems (`TransactItems`) or BatchWrite/BatchGet (`RequestItems`) input. */
export function itemsOf(input: object): number | undefined {
  const transactItems: unknown = Reflect.get(input, 'TransactItems');
  if (Array.isArray(transactItems)) return transactItems.length;
  const requestItems: unknown = Reflect.get(input, 'RequestItems');
  if (typeof requestItems !== 'object' || requestItems === null) return undefined;
  let items = 0;
  for (const perTable of Object.values(requestItems)) {
    if (Array.isArray(perTable)) items += perTable.length;
    else if (typeof perTable === 'object' && perTable !== null) {
      const keys: unknown = Reflect.get(perTable, 'Keys');
      if (Array.isArray(keys)) items += keys.length;
    }
  }
  return items;
}

/** `DynamoDBClient` and `DynamoDBDocumentClient` → `dynamodb`; `S3Client` → `s3`. */
export function serviceOf(clientName: string | undefined): string {
  if (!clientName) return 'aws';
  if (clientName.startsWith('DynamoDB')) return 'dynamodb';
  return clientName.replace(/Client$/, '').toLowerCase();
}

export function operationOf(commandName: string | undefined): string {
  return (commandName ?? 'Unknown').replace(/Command$/, '');
}
