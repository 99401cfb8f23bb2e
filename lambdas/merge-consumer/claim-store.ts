import { AsyncLocalStorage } from 'node:async_hooks';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  IdempotencyConfig,
  IdempotencyItemAlreadyExistsError,
  IdempotencyRecordStatus,
  PERSISTENCE_ATTRIBUTE_KEY_MAPPINGS,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import { functionNames, pipeline } from '../shared/pipeline';

/** What a claim found. */
export type ClaimOutcome =
  /** The version is new (or its old item expired): it is ours to stage. */
  | { kind: 'claimed' }
  /** COMPLETED: staged by an earlier invocation, a duplicate. */
  | { kind: 'completed' }
  /** INPROGRESS: claimed by an earlier attempt that never completed it, for this staging object. */
  | { kind: 'in-progress'; stagingKey: string | undefined };

/** The idempotency operations of the group commit (merge-consumer's view of the idempotency table). */
export interface ClaimStore {
  /** Claims a record version (INPROGRESS) for the staging object `stagingKey`. */
  claim(versionKey: string, stagingKey: string): Promise<ClaimOutcome>;
  /** Moves an INPROGRESS claim from the object `from` (that does not hold it) to `to`. */
  takeOver(versionKey: string, from: string | undefined, to: string): Promise<void>;
  /** Marks the version COMPLETED, with the staging object that holds it as the stored result. */
  complete(versionKey: string, stagingKey: string): Promise<void>;
}

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

export interface StagingClaimPersistenceOptions {
  tableName: string;
  client: DynamoDBClient;
  expiresAfterSeconds?: number;
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
 */
export class StagingClaimPersistenceLayer extends DynamoDBPersistenceLayer implements ClaimStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #config: IdempotencyConfig;
  readonly #claimStagingKey = new AsyncLocalStorage<string>();

  constructor(options: StagingClaimPersistenceOptions) {
    super({ tableName: options.tableName, awsSdkV3Client: options.client });
    this.#client = options.client;
    this.#tableName = options.tableName;
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
      await this.#claimStagingKey.run(stagingKey, () =>
        this.saveInProgress(idempotencyData(versionKey), this.#remainingTimeInMillis()),
      );
      return { kind: 'claimed' };
    } catch (error) {
      if (!(error instanceof StagingClaimConflictError)) throw error;
      if (error.existingStatus === IdempotencyRecordStatus.COMPLETED) return { kind: 'completed' };
      if (error.existingStatus === IdempotencyRecordStatus.INPROGRESS) {
        return { kind: 'in-progress', stagingKey: error.existingStagingKey };
      }
      throw error;
    }
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

  /** Same item and attributes as Powertools' put, plus `stagingKey`, with the stricter condition above. */
  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    const stagingKey = this.#claimStagingKey.getStore();
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
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#id) OR #expiry < :now',
          ExpressionAttributeNames: { '#id': KEY_ATTR, '#expiry': attrs.expiryAttr },
          ExpressionAttributeValues: { ':now': { N: String(Date.now() / 1000) } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
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

  #remainingTimeInMillis(): number {
    // Outside Lambda (tests, local runtime without a context) fall back to the function timeout, as
    // an invocation cannot outlive it; this also keeps Powertools from warning on every claim.
    return (
      this.#config.lambdaContext?.getRemainingTimeInMillis() ??
      pipeline.mergeConsumer.timeoutSeconds * 1000
    );
  }
}

function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
