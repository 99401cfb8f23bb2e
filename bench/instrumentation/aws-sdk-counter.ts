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
import type { RequestTally } from './request-tally';

type Send = (this: SdkClient, ...args: unknown[]) => unknown;
interface SdkClient {
  middlewareStack: MiddlewareStack<object, object>;
}
interface SdkClientPrototype {
  send: Send;
}

const middlewareName = 'benchRequestCounter';

/**
 * Counts every HTTP request the AWS SDK sends in this thread, by service and operation
 * (`dynamodb.PutItem`, `s3.PutObject`), retries included: the middleware sits in the
 * `deserialize` step, which the retry middleware (finalizeRequest) runs once per attempt.
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
      stack.add(countingMiddleware(tally) as DeserializeMiddleware<object, object>, {
        step: 'deserialize',
        name: middlewareName,
        override: true,
      });
      stack.add(itemCountingMiddleware(tally) as InitializeMiddleware<object, object>, {
        step: 'initialize',
        name: `${middlewareName}Items`,
        override: true,
      });
    }
    return originalSend.apply(this, args);
  };
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

function countingMiddleware(tally: RequestTally) {
  return (next: DeserializeHandler<object, object>, context: HandlerExecutionContext) =>
    (args: DeserializeHandlerArguments<object>): Promise<DeserializeHandlerOutput<object>> => {
      tally.add(`${serviceOf(context.clientName)}.${operationOf(context.commandName)}`);
      return next(args);
    };
}

/**
 * DynamoDB bills batch and transactional calls per item, not per request: count the items of
 * each such call as `dynamodb.<operation>.items` (once per call, from its input).
 */
function itemCountingMiddleware(tally: RequestTally) {
  return (next: InitializeHandler<object, object>, context: HandlerExecutionContext) =>
    (args: InitializeHandlerArguments<object>): Promise<InitializeHandlerOutput<object>> => {
      const items = itemsOf(args.input);
      if (items !== undefined) {
        tally.add(
          `${serviceOf(context.clientName)}.${operationOf(context.commandName)}.items`,
          items,
        );
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
