import type { AttributeValue, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { BatchGetItemCommand, BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import {
  IdempotencyConfig,
  IdempotencyRecordStatus,
  PERSISTENCE_ATTRIBUTE_KEY_MAPPINGS,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { IdempotencyRecordStatusValue } from '@aws-lambda-powertools/idempotency/types';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import pLimit from 'p-limit';
import { functionNames, pipeline, tables } from '../shared/pipeline';
import { defaultSleep, fullJitterDelay } from '../shared/retry';
import { MergeConsumerError } from './msk-event';

/** A version's idempotency item as the group commit reads it. */
export interface StoredClaim {
  /** INPROGRESS, COMPLETED (the earlier claim-then-complete protocol), or EXPIRED past `expiration`. */
  status: string;
  /** The staging object an INPROGRESS claim says the version is (or is about to be) staged in. */
  stagingKey: string | undefined;
}

/** DynamoDB's limit on one BatchGetItem request. */
export const MAX_BATCH_GET_ITEMS = 100;

/** The item attribute naming the staging object a claim belongs to. */
export const STAGING_KEY_ATTR = 'stagingKey';
const KEY_ATTR = tables.idempotency.partitionKey;
const attrs = PERSISTENCE_ATTRIBUTE_KEY_MAPPINGS;

/**
 * The Powertools configuration whose ids the claims carry: `makeIdempotent` with this JMESPath over
 * this data hashes the version key, as {@link StagingClaimPersistenceLayer.idempotencyKeyOf} does
 * without the JMESPath search (Powertools builds an interpreter per search: 2/3 of the key's CPU).
 */
export const IDEMPOTENCY_KEY_JMESPATH = 'recordVersion';
export function idempotencyData(versionKey: string): { recordVersion: string } {
  return { recordVersion: versionKey };
}

/** DynamoDB left keys or items unprocessed (throttling, capacity) on every attempt. */
export class UnprocessedError extends MergeConsumerError {
  override name = 'UnprocessedError';
}

/** How unprocessed keys/items of a batch request are sent again (maxAttempts: sends of a chunk). */
const defaultUnprocessedRetry = { maxAttempts: 8, baseDelayMs: 25, maxDelayMs: 1_000 };
type UnprocessedRetry = typeof defaultUnprocessedRetry & {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
};

export interface StagingClaimPersistenceOptions {
  tableName: string;
  client: DynamoDBClient;
  expiresAfterSeconds?: number;
  /** Claims per BatchWriteItem request (DynamoDB takes 1–25); default `pipeline.mergeConsumer.claimsPerRequest`. */
  claimsPerRequest?: number;
  /** Requests of one read/claim call in flight at once. */
  concurrency?: number;
  unprocessedRetry?: Partial<UnprocessedRetry>;
}

/**
 * Powertools' DynamoDB persistence layer (key hashing, attribute names, statuses, expiry) for its
 * record format, not its one-call-per-record writes: versions are read with BatchGetItem and
 * claimed with BatchWriteItem. A claim is the item Powertools' saveInProgress would put plus
 * `stagingKey`, put unconditionally and never completed (docs/DESIGN.md, "One DynamoDB write per
 * new record version", says why both are safe).
 */
export class StagingClaimPersistenceLayer extends DynamoDBPersistenceLayer {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #config: IdempotencyConfig;
  readonly #claimsPerRequest: number;
  readonly #concurrency: number;
  readonly #retry: UnprocessedRetry;

  constructor(options: StagingClaimPersistenceOptions) {
    super({ tableName: options.tableName, awsSdkV3Client: options.client, keyAttr: KEY_ATTR });
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#claimsPerRequest = options.claimsPerRequest ?? pipeline.mergeConsumer.claimsPerRequest;
    this.#concurrency = options.concurrency ?? pipeline.mergeConsumer.idempotencyConcurrency;
    this.#retry = { ...defaultUnprocessedRetry, ...options.unprocessedRetry };
    this.#config = new IdempotencyConfig({
      throwOnNoIdempotencyKey: true,
      expiresAfterSeconds:
        options.expiresAfterSeconds ?? pipeline.mergeConsumer.idempotencyTtlSeconds,
    });
    // The key prefix stays the function's name across renames/versions: a redeploy must not forget
    // what was staged.
    this.configure({ config: this.#config, keyPrefix: functionNames.mergeConsumer });
  }

  /** In-progress expiry = now + the invocation's remaining time, as Powertools does it. */
  registerLambdaContext(context: Pick<Context, 'getRemainingTimeInMillis'>): void {
    this.#config.registerLambdaContext(context as Context);
  }

  /** The `id` attribute Powertools writes for a record version (the data is the selected key). */
  idempotencyKeyOf(versionKey: string): string {
    return this.getHashedIdempotencyKey(versionKey);
  }

  /** Per version, in order: its item (strongly consistent), undefined when there is none. */
  async read(versionKeys: readonly string[]): Promise<(StoredClaim | undefined)[]> {
    const ids = versionKeys.map((versionKey) => this.idempotencyKeyOf(versionKey));
    const found = new Map<string, StoredClaim>();
    const keys = [...new Set(ids)].map((id) => this.getKey(id));
    await this.#sendAll('BatchGetItem', keys, MAX_BATCH_GET_ITEMS, async (Keys) => {
      // Strongly consistent: the claims the previous invocation of this partition wrote must show.
      const request = { [this.#tableName]: { Keys, ConsistentRead: true } };
      const output = await this.#client.send(new BatchGetItemCommand({ RequestItems: request }));
      for (const item of output.Responses?.[this.#tableName] ?? []) {
        const id = item[KEY_ATTR]?.S;
        if (id !== undefined) found.set(id, storedClaimOf(item));
      }
      return output.UnprocessedKeys?.[this.#tableName]?.Keys ?? [];
    });
    return ids.map((id) => found.get(id));
  }

  /** Claims distinct versions INPROGRESS for `stagingKey`; rejects unless every claim was written. */
  async claim(versionKeys: readonly string[], stagingKey: string): Promise<void> {
    const puts: WriteRequest[] = versionKeys.map((versionKey) => ({
      PutRequest: { Item: this.#claimItem(versionKey, stagingKey) },
    }));
    await this.#sendAll('BatchWriteItem', puts, this.#claimsPerRequest, async (pending) => {
      const request = { [this.#tableName]: pending };
      const output = await this.#client.send(new BatchWriteItemCommand({ RequestItems: request }));
      return output.UnprocessedItems?.[this.#tableName] ?? [];
    });
  }

  /**
   * Powertools' INPROGRESS record as saveInProgress builds it and _putRecord writes it, plus
   * `stagingKey` (saveInProgress itself sends one conditional PutItem per record).
   */
  #claimItem(versionKey: string, stagingKey: string): Record<string, AttributeValue> {
    const now = Date.now();
    // Without a Lambda context: the function timeout, which no invocation outlives.
    const remainingMs =
      this.#config.lambdaContext?.getRemainingTimeInMillis() ??
      pipeline.mergeConsumer.timeoutSeconds * 1000;
    const record = new IdempotencyRecord({
      idempotencyKey: this.idempotencyKeyOf(versionKey),
      status: IdempotencyRecordStatus.INPROGRESS,
      expiryTimestamp: Math.round(now / 1000 + this.getExpiresAfterSeconds()),
      inProgressExpiryTimestamp: now + remainingMs,
    });
    return {
      ...this.getKey(record.idempotencyKey),
      ...marshall({
        [attrs.expiryAttr]: record.expiryTimestamp,
        [attrs.statusAttr]: record.getStatus(),
        [attrs.inProgressExpiryAttr]: record.inProgressExpiryTimestamp,
        [STAGING_KEY_ATTR]: stagingKey,
      }),
    };
  }

  /**
   * `items` in requests of `size`, `concurrency` at once; `send` sends one request and answers what
   * DynamoDB left unprocessed, which is sent again with backoff until nothing is left.
   */
  async #sendAll<T>(
    operation: string,
    items: readonly T[],
    size: number,
    send: (pending: T[]) => Promise<T[]>,
  ): Promise<void> {
    const chunks: T[][] = [];
    for (let start = 0; start < items.length; start += size)
      chunks.push(items.slice(start, start + size));
    const sleep = this.#retry.sleep ?? defaultSleep;
    await pLimit(this.#concurrency).map(chunks, async (chunk) => {
      let pending = chunk;
      for (let attempt = 1; ; attempt++) {
        pending = await send(pending);
        if (pending.length === 0) return;
        if (attempt >= this.#retry.maxAttempts) {
          const left = `left ${pending.length} unprocessed after ${attempt} attempts`;
          throw new UnprocessedError(`${operation} on ${this.#tableName} ${left}`);
        }
        await sleep(fullJitterDelay(attempt, this.#retry, this.#retry.random));
      }
    });
  }
}

/** merge-consumer's view of the idempotency table: one read and one write per version at most. */
export type ClaimStore = Pick<StagingClaimPersistenceLayer, 'read' | 'claim'>;

/** The item read back as Powertools' _getRecord does, with its status as Powertools reports it. */
function storedClaimOf(item: Record<string, AttributeValue>): StoredClaim {
  const fields = unmarshall(item) as Record<string, unknown>;
  const status = fields[attrs.statusAttr];
  const record = new IdempotencyRecord({
    idempotencyKey: String(fields[KEY_ATTR]),
    status: status as IdempotencyRecordStatusValue,
    expiryTimestamp: fields[attrs.expiryAttr] as number | undefined,
  });
  const stagingKey = fields[STAGING_KEY_ATTR];
  return {
    status: record.isExpired() ? IdempotencyRecordStatus.EXPIRED : String(status),
    stagingKey: typeof stagingKey === 'string' ? stagingKey : undefined,
  };
}
