import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  AttributeValue,
  CancellationReason,
  DynamoDBClient,
  TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import {
  PutItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  IdempotencyConfig,
  IdempotencyItemAlreadyExistsError,
  IdempotencyRecordStatus,
  PERSISTENCE_ATTRIBUTE_KEY_MAPPINGS,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { convertToAttr } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { functionNames, pipeline } from '../shared/pipeline';
import type { BatchPutRetry, Item } from './completion-writes';
import { batchPutItems } from './completion-writes';

/** What a claim found. */
export type ClaimOutcome =
  /** The version is new (or its old item expired): it is ours to stage. */
  | { kind: 'claimed' }
  /** COMPLETED: staged by an earlier invocation, a duplicate. */
  | { kind: 'completed' }
  /** INPROGRESS: claimed by an earlier attempt that never completed it, for this staging object. */
  | { kind: 'in-progress'; stagingKey: string | undefined };

/** A claim to complete: the version, and the staging object that holds it. */
export interface Completion {
  versionKey: string;
  stagingKey: string;
}

/** The idempotency operations of the group commit (merge-consumer's view of the idempotency table). */
export interface ClaimStore {
  /** Claims a record version (INPROGRESS) for the staging object `stagingKey`. */
  claim(versionKey: string, stagingKey: string): Promise<ClaimOutcome>;
  /**
   * Claims several distinct versions for `stagingKey` (at most `maxClaimsPerRequest` of the
   * store): one outcome per version, in order. Rejects when it cannot tell for some version.
   */
  claimAll(versionKeys: readonly string[], stagingKey: string): Promise<ClaimOutcome[]>;
  /** Moves an INPROGRESS claim from the object `from` (that does not hold it) to `to`. */
  takeOver(versionKey: string, from: string | undefined, to: string): Promise<void>;
  /** Marks the version COMPLETED, with the staging object that holds it as the stored result. */
  complete(versionKey: string, stagingKey: string): Promise<void>;
  /** Completes several distinct versions; per completion, undefined or the error that stopped it. */
  completeAll(completions: readonly Completion[]): Promise<unknown[]>;
}

/** The one-version operations; `oneByOne` builds a ClaimStore from them. */
export type SingleClaimStore = Pick<ClaimStore, 'claim' | 'takeOver' | 'complete'>;

/** A ClaimStore whose claimAll/completeAll make one call per version (test doubles, fallbacks). */
export function oneByOne(store: SingleClaimStore): ClaimStore {
  return {
    claim: (versionKey, stagingKey) => store.claim(versionKey, stagingKey),
    claimAll: (versionKeys, stagingKey) =>
      Promise.all(versionKeys.map((versionKey) => store.claim(versionKey, stagingKey))),
    takeOver: (versionKey, from, to) => store.takeOver(versionKey, from, to),
    complete: (versionKey, stagingKey) => store.complete(versionKey, stagingKey),
    completeAll: (completions) =>
      Promise.all(
        completions.map(({ versionKey, stagingKey }) =>
          store.complete(versionKey, stagingKey).then(
            () => undefined,
            (error: unknown) => error,
          ),
        ),
      ),
  };
}

/** DynamoDB's limit on the actions of one TransactWriteItems request. */
export const MAX_TRANSACTION_ITEMS = 100;

/** The item attribute naming the staging object a claim belongs to. */
export const STAGING_KEY_ATTR = 'stagingKey';
const KEY_ATTR = 'id';
const attrs = PERSISTENCE_ATTRIBUTE_KEY_MAPPINGS;

/** The data handed to Powertools for one record version, and the JMESPath that selects its key. */
export const IDEMPOTENCY_KEY_JMESPATH = 'recordVersion';
export function idempotencyData(versionKey: string): { recordVersion: string } {
  return { recordVersion: versionKey };
}

/** A claim could not be put because an item exists; carries the staging key of that item. */
export class StagingClaimConflictError extends IdempotencyItemAlreadyExistsError {
  constructor(
    message: string,
    readonly existingStatus: string | undefined,
    readonly existingStagingKey: string | undefined,
  ) {
    super(message);
    this.name = 'StagingClaimConflictError';
  }
}

/** Someone changed a claim between our read and our takeover; the batch retries. */
export class ClaimChangedError extends Error {
  override name = 'ClaimChangedError';
}

/** How completeAll sends its BatchWriteItem chunks and their unprocessed items. */
export interface CompletionWriteOptions extends BatchPutRetry {
  /** Chunks of one completeAll in flight at once (100 versions are 4 chunks). */
  concurrency: number;
}

export const defaultCompletionWrites: CompletionWriteOptions = {
  concurrency: 4,
  maxAttempts: 8,
  baseDelayMs: 25,
  maxDelayMs: 1_000,
};

export interface StagingClaimPersistenceOptions {
  tableName: string;
  client: DynamoDBClient;
  expiresAfterSeconds?: number;
  /**
   * Versions per claimAll/completeAll call (1–100). Above 1, claimAll writes them as one
   * TransactWriteItems and completeAll as BatchWriteItem puts of 25: a few round trips instead of
   * one per version.
   */
  maxClaimsPerRequest?: number;
  /** How completeAll writes its BatchWriteItem chunks; defaults in {@link defaultCompletionWrites}. */
  completionWrites?: Partial<CompletionWriteOptions>;
  /** Stable across function renames/versions so a redeploy does not forget what was staged. */
  keyPrefix?: string;
}

/**
 * Powertools' DynamoDB persistence layer, driven primitive by primitive (saveInProgress,
 * saveSuccess) by the group commit, because `makeIdempotent` wraps one call per record and
 * cannot express "claim all, stage once, then complete all".
 *
 * It overrides the protected put for two reasons, both needed so that a retry with different batch
 * boundaries neither loses nor duplicates a record:
 * - the INPROGRESS item names the staging object it belongs to (`stagingKey`), and a conflict
 *   reports it (from ReturnValuesOnConditionCheckFailure, atomically, no extra GetItem);
 * - an INPROGRESS item is NOT silently overwritten once its in-progress expiry has passed
 *   (Powertools' default condition does that): after a Lambda timeout the expiry has always passed,
 *   and overwriting would forget that the dead attempt may already have staged the record under
 *   another key. The group commit takes such claims over itself, after checking that object.
 * Everything else (key hashing, expiry, saveSuccess, the record format) stays Powertools'.
 *
 * claimAll writes up to 100 versions per TransactWriteItems request, with the very items and
 * conditions of the single calls: the records are still built by Powertools' saveInProgress,
 * only collected instead of sent one by one. A transaction cancelled by conditions tells, per
 * item, the existing item (ReturnValuesOnConditionCheckFailure) or "None" (not written):
 * conflicts are decided from those items, the rest is claimed again in a smaller transaction. So
 * a resync of unchanged data costs one request per 100 versions and no write. Anything else (a
 * transaction conflict, throttling, a reason without the item) falls back to the single
 * conditional put for that version.
 *
 * completeAll needs no transaction (completions are unconditional): it puts the full COMPLETED
 * items, built from the records of Powertools' saveSuccess, with BatchWriteItem (25 per request;
 * 1 WRU per item on AWS instead of a transaction's 2, and about half the CPU on DynamoDB Local).
 * What a request fails or leaves unprocessed after its retries is completed one by one.
 */
export class StagingClaimPersistenceLayer extends DynamoDBPersistenceLayer implements ClaimStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #config: IdempotencyConfig;
  readonly #write = new AsyncLocalStorage<WriteContext>();
  readonly #completionWrites: CompletionWriteOptions;
  readonly maxClaimsPerRequest: number;

  constructor(options: StagingClaimPersistenceOptions) {
    super({ tableName: options.tableName, awsSdkV3Client: options.client });
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#completionWrites = { ...defaultCompletionWrites, ...options.completionWrites };
    this.maxClaimsPerRequest = options.maxClaimsPerRequest ?? MAX_TRANSACTION_ITEMS;
    if (
      !Number.isInteger(this.maxClaimsPerRequest) ||
      this.maxClaimsPerRequest < 1 ||
      this.maxClaimsPerRequest > MAX_TRANSACTION_ITEMS
    ) {
      throw new Error(`maxClaimsPerRequest must be 1–${MAX_TRANSACTION_ITEMS}`);
    }
    this.#config = new IdempotencyConfig({
      eventKeyJmesPath: IDEMPOTENCY_KEY_JMESPATH,
      throwOnNoIdempotencyKey: true,
      expiresAfterSeconds:
        options.expiresAfterSeconds ?? pipeline.mergeConsumer.idempotencyTtlSeconds,
    });
    this.configure({
      config: this.#config,
      keyPrefix: options.keyPrefix ?? functionNames.mergeConsumer,
    });
  }

  /** In-progress expiry = now + the invocation's remaining time, as Powertools does it. */
  registerLambdaContext(context: Pick<Context, 'getRemainingTimeInMillis'>): void {
    this.#config.registerLambdaContext(context as Context);
  }

  /** The `id` attribute Powertools writes for a record version. */
  idempotencyKeyOf(versionKey: string): string {
    return this.getHashedIdempotencyKey(idempotencyData(versionKey));
  }

  async claim(versionKey: string, stagingKey: string): Promise<ClaimOutcome> {
    try {
      await this.#write.run({ stagingKey }, () =>
        this.saveInProgress(idempotencyData(versionKey), this.#remainingTimeInMillis()),
      );
      return { kind: 'claimed' };
    } catch (error) {
      if (!(error instanceof StagingClaimConflictError)) throw error;
      const outcome = outcomeOfExisting(error.existingStatus, error.existingStagingKey);
      if (outcome === undefined) throw error;
      return outcome;
    }
  }

  async claimAll(versionKeys: readonly string[], stagingKey: string): Promise<ClaimOutcome[]> {
    this.#checkRequestSize(versionKeys.length);
    const outcomes = new Array<ClaimOutcome | undefined>(versionKeys.length);
    let pending = versionKeys.map((_, index) => index);
    const claimAlone = async (index: number): Promise<void> => {
      outcomes[index] = await this.claim(versionKeys[index]!, stagingKey);
    };
    while (pending.length > 1) {
      const puts = await this.#collect(stagingKey, () =>
        Promise.all(
          pending.map((index) =>
            this.saveInProgress(
              idempotencyData(versionKeys[index]!),
              this.#remainingTimeInMillis(),
            ),
          ),
        ),
      );
      const reasons = await this.#transact(puts);
      if (reasons === undefined) {
        for (const index of pending) outcomes[index] = { kind: 'claimed' };
        pending = [];
        break;
      }
      const again: number[] = [];
      const alone: number[] = [];
      pending.forEach((index, position) => {
        const reason = reasons[position];
        if (reason?.Code === 'None') return again.push(index);
        const outcome =
          reason?.Code === 'ConditionalCheckFailed' && reason.Item !== undefined
            ? outcomeOfExisting(reason.Item[attrs.statusAttr]?.S, reason.Item[STAGING_KEY_ATTR]?.S)
            : undefined;
        if (outcome === undefined) alone.push(index);
        else outcomes[index] = outcome;
      });
      // Every cancelled transaction has at least one item that is not "None": this terminates.
      if (again.length === pending.length) alone.push(...again.splice(0));
      await Promise.all(alone.map(claimAlone));
      pending = again;
    }
    await Promise.all(pending.map(claimAlone));
    return outcomes.map((outcome, index) => {
      if (outcome === undefined) throw new Error(`no claim outcome for ${versionKeys[index]}`);
      return outcome;
    });
  }

  async takeOver(versionKey: string, from: string | undefined, to: string): Promise<void> {
    const now = Date.now();
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: this.getKey(this.idempotencyKeyOf(versionKey)),
          UpdateExpression: 'SET #staging = :to, #inProgressExpiry = :inProgressExpiry',
          ConditionExpression:
            from === undefined
              ? '#status = :inProgress AND attribute_not_exists(#staging)'
              : '#status = :inProgress AND #staging = :from',
          ExpressionAttributeNames: {
            '#staging': STAGING_KEY_ATTR,
            '#status': attrs.statusAttr,
            '#inProgressExpiry': attrs.inProgressExpiryAttr,
          },
          ExpressionAttributeValues: {
            ':to': { S: to },
            ':inProgress': { S: IdempotencyRecordStatus.INPROGRESS },
            ':inProgressExpiry': { N: String(now + this.#remainingTimeInMillis()) },
            ...(from === undefined ? {} : { ':from': { S: from } }),
          },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        throw new ClaimChangedError(`claim on ${versionKey} changed before it could be taken over`);
      }
      throw error;
    }
  }

  async complete(versionKey: string, stagingKey: string): Promise<void> {
    await this.saveSuccess(idempotencyData(versionKey), { stagingKey });
  }

  async completeAll(completions: readonly Completion[]): Promise<unknown[]> {
    this.#checkRequestSize(completions.length);
    const alone = (completion: Completion): Promise<unknown> =>
      this.complete(completion.versionKey, completion.stagingKey).then(
        () => undefined,
        (error: unknown) => error,
      );
    if (completions.length === 1) return Promise.all(completions.map(alone));
    // Overwriting the whole item (BatchWriteItem has no UpdateItem) is safe: the INPROGRESS claim
    // of each version is ours (Lambda runs one invocation per partition at a time and a version
    // lives in one partition, DESIGN.md protocol 2) and its object is already in S3, so the only
    // state the put replaces is our own claim, with what Powertools' update would leave there.
    const items = await Promise.all(
      completions.map(({ versionKey, stagingKey }) => this.#completedItem(versionKey, stagingKey)),
    );
    const { concurrency, ...retry } = this.#completionWrites;
    const outcomes = await batchPutItems(items, {
      client: this.#client,
      tableName: this.#tableName,
      keyAttributes: Object.keys(this.getKey('')),
      concurrency,
      retry,
    });
    // A failed request or items left unprocessed: Powertools' own update for those, one at a time
    // and none after the first failure. A request that failed as a whole usually means DynamoDB is
    // unreachable: one write rides out the outage with its retries (aws-sdk-retry.ts), and once it
    // fails the invocation fails anyway, so a hundred writes at once would only add load.
    const results: unknown[] = [];
    let failure: unknown;
    for (const [index, completion] of completions.entries()) {
      if (outcomes[index] === undefined) results.push(undefined);
      else if (failure !== undefined) results.push(failure);
      else {
        const error = await alone(completion);
        failure = error;
        results.push(error);
      }
    }
    return results;
  }

  /** Same item and attributes as Powertools' put, plus `stagingKey`, with the stricter condition above. */
  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    const context = this.#write.getStore();
    const put = this.#claimPut(record, context?.stagingKey);
    if (context?.collected !== undefined) {
      context.collected.push({ Put: put });
      return;
    }
    try {
      await this.#client.send(new PutItemCommand(put));
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        const existing = (error as { Item?: Record<string, AttributeValue> }).Item;
        throw new StagingClaimConflictError(
          `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
          existing?.[attrs.statusAttr]?.S,
          existing?.[STAGING_KEY_ATTR]?.S,
        );
      }
      throw error;
    }
  }

  /** Powertools' update of saveSuccess, or, for completeAll, the full item it would leave. */
  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    const context = this.#write.getStore();
    if (context?.completedItem === undefined) return super._updateRecord(record);
    context.completedItem(this.#completedItemOf(record, context.stagingKey));
  }

  #claimPut(record: IdempotencyRecord, stagingKey: string | undefined) {
    const item: Record<string, AttributeValue> = {
      ...this.getKey(record.idempotencyKey),
      [attrs.statusAttr]: { S: record.getStatus() },
    };
    if (record.expiryTimestamp !== undefined)
      item[attrs.expiryAttr] = { N: String(record.expiryTimestamp) };
    if (record.inProgressExpiryTimestamp !== undefined) {
      item[attrs.inProgressExpiryAttr] = { N: String(record.inProgressExpiryTimestamp) };
    }
    if (stagingKey !== undefined) item[STAGING_KEY_ATTR] = { S: stagingKey };
    return {
      TableName: this.#tableName,
      Item: item,
      ConditionExpression: 'attribute_not_exists(#id) OR #expiry < :now',
      ExpressionAttributeNames: { '#id': KEY_ATTR, '#expiry': attrs.expiryAttr },
      ExpressionAttributeValues: { ':now': { N: String(Date.now() / 1000) } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
  }

  /** The COMPLETED item of a version, from the record Powertools' saveSuccess builds. */
  async #completedItem(versionKey: string, stagingKey: string): Promise<Item> {
    let built: Item | undefined;
    await this.#write.run(
      {
        stagingKey,
        completedItem: (item) => {
          built = item;
        },
      },
      () => this.saveSuccess(idempotencyData(versionKey), { stagingKey }),
    );
    if (built === undefined) throw new Error(`saveSuccess built no record for ${versionKey}`);
    return built;
  }

  /**
   * The item Powertools' DynamoDBPersistenceLayer._updateRecord leaves on our claim (payload
   * validation is not configured here): the claim's key, `stagingKey` and in-progress expiry kept,
   * status, expiry and the result `data` set. Its UpdateItem does not remove the in-progress expiry,
   * so the put keeps one too, written as this invocation's deadline (now + remaining time): the
   * value this invocation's claim or takeover wrote (a claim left by an earlier attempt had that
   * attempt's deadline). Neither Powertools nor our claim condition reads it on a COMPLETED item.
   * claim-store.int.test.ts compares the two items on DynamoDB Local.
   */
  #completedItemOf(record: IdempotencyRecord, stagingKey: string | undefined): Item {
    const item: Item = {
      ...this.getKey(record.idempotencyKey),
      [attrs.statusAttr]: { S: record.getStatus() },
      [attrs.inProgressExpiryAttr]: { N: String(Date.now() + this.#remainingTimeInMillis()) },
    };
    if (record.expiryTimestamp !== undefined)
      item[attrs.expiryAttr] = { N: String(record.expiryTimestamp) };
    if (record.responseData !== undefined)
      item[attrs.dataAttr] = convertToAttr(record.responseData); // as Powertools' marshall writes it
    if (stagingKey !== undefined) item[STAGING_KEY_ATTR] = { S: stagingKey };
    return item;
  }

  /** Runs Powertools' record builders with the claim puts collected (not sent); returns them. */
  async #collect(stagingKey: string, build: () => Promise<unknown>): Promise<TransactWriteItem[]> {
    const collected: TransactWriteItem[] = [];
    await this.#write.run({ stagingKey, collected }, build);
    return collected;
  }

  /** Undefined when the transaction committed; the per-action reasons when it was cancelled. */
  async #transact(actions: TransactWriteItem[]): Promise<CancellationReason[] | undefined> {
    try {
      await this.#client.send(new TransactWriteItemsCommand({ TransactItems: actions }));
      return undefined;
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.length === actions.length
      ) {
        return error.CancellationReasons;
      }
      throw error;
    }
  }

  #checkRequestSize(count: number): void {
    if (count > this.maxClaimsPerRequest) {
      throw new Error(`${count} versions in one request; at most ${this.maxClaimsPerRequest}`);
    }
  }

  #remainingTimeInMillis(): number {
    // Outside Lambda (tests, local runtime without a context) fall back to the function timeout, as
    // an invocation cannot outlive it; this also keeps Powertools from warning on every claim.
    return (
      this.#config.lambdaContext?.getRemainingTimeInMillis() ??
      pipeline.mergeConsumer.timeoutSeconds * 1000
    );
  }
}

/** What writes inside claim/claimAll/completeAll carry down to the overridden persistence calls. */
interface WriteContext {
  stagingKey: string | undefined;
  /** Set by claimAll: collect the claim puts for one transaction instead of sending them. */
  collected?: TransactWriteItem[];
  /** Set by completeAll: receives the full COMPLETED item instead of the update being sent. */
  completedItem?: (item: Item) => void;
}

/** A claim that found an item: what its status means, undefined when it means nothing known. */
function outcomeOfExisting(
  status: string | undefined,
  stagingKey: string | undefined,
): ClaimOutcome | undefined {
  if (status === IdempotencyRecordStatus.COMPLETED) return { kind: 'completed' };
  if (status === IdempotencyRecordStatus.INPROGRESS) return { kind: 'in-progress', stagingKey };
  return undefined;
}

function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
