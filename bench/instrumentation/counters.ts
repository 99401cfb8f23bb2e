/**
 * Request counters by `<service>.<operation>`: hooks on the client classes, because nothing in
 * Powertools or the SDK counts requests across worker threads (docs/benchmarks.md).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type {
  DeserializeMiddleware,
  HandlerExecutionContext,
  InitializeMiddleware,
  MiddlewareStack,
} from '@smithy/types';
import type { ConsumerConfig, RequestEvent } from 'kafkajs';
import { Kafka } from 'kafkajs';
import { dataPlaneOperations, unitsOfFailure, unitsOfSuccess } from './dynamodb-capacity';
import type { RequestUnits } from './dynamodb-capacity';

let tallies = 0;

export class RequestTally {
  private readonly counts: Record<string, number> = {};
  /** One per tally: adding it twice replaces it, other tallies' counters coexist. */
  readonly middlewareName = `benchRequestCounter${++tallies}`;

  add(key: string, by = 1): void {
    this.counts[key] = (this.counts[key] ?? 0) + by;
  }

  snapshot(): Record<string, number> {
    return { ...this.counts };
  }
}

export interface SdkClient<Input extends object = object, Output extends object = object> {
  middlewareStack: MiddlewareStack<Input, Output>;
}
/** The part of the base `Client` (@smithy/core) the hooks wrap. */
export interface SdkClientPrototype {
  send: (this: SdkClient, ...args: unknown[]) => unknown;
}

/**
 * Before the deserializer, which the retry middleware runs once per attempt, so retries count; the
 * `initialize` step counts a batch call's items once and asks for `ReturnConsumedCapacity` (on a copy).
 */
export function countAwsSdkRequests<Input extends object, Output extends object>(
  client: SdkClient<Input, Output>,
  tally: RequestTally,
): void {
  const name = tally.middlewareName;
  const counting: DeserializeMiddleware<Input, Output> = (next, context) => async (args) => {
    const { key, operation, billed } = named(context);
    const addUnits = (units: RequestUnits): void => {
      if (units.wru > 0) tally.add(`${key}.wru`, units.wru);
      if (units.rru > 0) tally.add(`${key}.rru`, units.rru);
    };
    tally.add(key);
    try {
      const result = await next(args);
      if (billed) addUnits(unitsOfSuccess(operation, args.input, result.output ?? {}));
      return result;
    } catch (error) {
      if (billed && error instanceof Error)
        addUnits(unitsOfFailure(operation, args.input, error.name));
      throw error;
    }
  };
  const items: InitializeMiddleware<Input, Output> = (next, context) => (args) => {
    const { key, billed } = named(context);
    const count = itemsOf(args.input);
    if (count !== undefined) tally.add(`${key}.items`, count);
    return next(
      billed ? { ...args, input: { ...args.input, ReturnConsumedCapacity: 'TOTAL' } } : args,
    );
  };
  client.middlewareStack.addRelativeTo(counting, {
    relation: 'before',
    toMiddleware: 'deserializerMiddleware',
    name,
    override: true,
  });
  client.middlewareStack.add(items, { step: 'initialize', name: `${name}Items`, override: true });
}

function named(context: HandlerExecutionContext) {
  const service = serviceOf(context.clientName);
  const operation = operationOf(context.commandName);
  const billed = service === 'dynamodb' && dataPlaneOperations.has(operation);
  return { key: `${service}.${operation}`, operation, billed };
}

const patchedPrototypes = new WeakSet<object>();

/**
 * Every SDK v3 client extends one base `Client` (@smithy/core), so wrapping its `send` reaches every
 * client of the thread; a second copy of that class would let clients escape the hooks.
 */
export function sdkBaseClient(): SdkClientPrototype {
  const base: unknown = Object.getPrototypeOf(DynamoDBClient.prototype);
  const isClient = typeof Reflect.get(Object(base), 'send') === 'function';
  if (base === Object.getPrototypeOf(S3Client.prototype) && isClient)
    return base as SdkClientPrototype;
  throw new Error(
    'DynamoDBClient and S3Client do not extend the same @smithy/core Client (check `npm ls @smithy/core`): an SDK hook would miss clients',
  );
}

/** Counts every client of this thread from its first request. */
export function installAwsSdkRequestCounter(tally: RequestTally): void {
  const base = sdkBaseClient();
  if (patchedPrototypes.has(base)) return;
  patchedPrototypes.add(base);
  const counted = new WeakSet<object>();
  const originalSend = base.send;
  base.send = function (this: SdkClient, ...args: unknown[]) {
    if (!counted.has(this.middlewareStack)) {
      counted.add(this.middlewareStack);
      countAwsSdkRequests(this, tally);
    }
    return originalSend.apply(this, args);
  };
}

export function itemsOf(input: object): number | undefined {
  const transactItems: unknown = Reflect.get(input, 'TransactItems');
  if (Array.isArray(transactItems)) return transactItems.length;
  const requestItems: unknown = Reflect.get(input, 'RequestItems');
  if (typeof requestItems !== 'object' || requestItems === null) return undefined;
  let items = 0;
  for (const perTable of Object.values(requestItems) as unknown[]) {
    const keys: unknown = Array.isArray(perTable)
      ? perTable
      : Reflect.get(Object(perTable), 'Keys');
    if (Array.isArray(keys)) items += keys.length;
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

export interface KafkaClient {
  readonly events: { readonly REQUEST: string };
  on(eventName: string, listener: (event: RequestEvent) => void): unknown;
}

export function countKafkaRequests(client: KafkaClient, tally: RequestTally): void {
  client.on(client.events.REQUEST, ({ payload }) => tally.add(`kafka.${payload.apiName}`));
}

/** The tally of a consumer's group (undefined: a producer); none: not counted (the bench's own readers). */
type KafkaTallyOf = (groupId: string | undefined) => RequestTally | undefined;
const kafkaRegistrations = new Set<KafkaTallyOf>();
let kafkaPatched = false;

function countedKafkaClient<Client extends KafkaClient>(client: Client, groupId?: string): Client {
  for (const tallyOf of kafkaRegistrations) {
    const tally = tallyOf(groupId);
    if (tally) countKafkaRequests(client, tally);
  }
  return client;
}

/** Counts every producer and consumer built later in this thread (not admins); returns the uninstall. */
export function installKafkaRequestCounter(tallyOf: KafkaTallyOf): () => void {
  kafkaRegistrations.add(tallyOf);
  if (!kafkaPatched) {
    kafkaPatched = true;
    // Re-bound to each Kafka instance by `.apply`/`.call` in the wrappers below.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the instance's `this`
    const { producer, consumer } = Kafka.prototype;
    Kafka.prototype.producer = function (this: Kafka, ...args: Parameters<Kafka['producer']>) {
      return countedKafkaClient(producer.apply(this, args));
    };
    Kafka.prototype.consumer = function (this: Kafka, config: ConsumerConfig) {
      return countedKafkaClient(consumer.call(this, config), config.groupId);
    };
  }
  return () => kafkaRegistrations.delete(tallyOf);
}

/** Counts each request (`http.<METHOD> <path>`, retries included). */
export function countingFetch(tally: RequestTally, inner: typeof fetch = fetch): typeof fetch {
  return (input, init) => {
    tally.add(`http.${requestLabel(input, init)}`);
    return inner(input, init);
  };
}

export function requestLabel(input: string | URL | Request, init?: RequestInit): string {
  const url = new URL(input instanceof Request ? input.url : input);
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  return `${method.toUpperCase()} ${url.pathname}`;
}
