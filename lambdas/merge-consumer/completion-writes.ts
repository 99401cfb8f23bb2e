import type { AttributeValue, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { defaultSleep, fullJitterDelay } from '../shared/retry';

/** DynamoDB's limit on the put/delete requests of one BatchWriteItem. */
export const MAX_BATCH_WRITE_ITEMS = 25;

export type Item = Record<string, AttributeValue>;

/** How unprocessed items of a BatchWriteItem are sent again. */
export interface BatchPutRetry {
  /** Sends of one chunk, the first included, before its unprocessed items are given up. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface BatchPutOptions {
  client: DynamoDBClient;
  tableName: string;
  /** The table's key attributes: an unprocessed item is matched back to its position by them. */
  keyAttributes: readonly string[];
  /** BatchWriteItem requests of one call in flight at once. */
  concurrency: number;
  retry: BatchPutRetry;
}

/** DynamoDB left an item unprocessed (throttling, capacity) on every attempt. */
export class UnprocessedItemError extends Error {
  override name = 'UnprocessedItemError';
}

/**
 * Puts `items` unconditionally, {@link MAX_BATCH_WRITE_ITEMS} per BatchWriteItem, the chunks
 * concurrently (bounded), sending `UnprocessedItems` again with exponential backoff and full
 * jitter. Never rejects: per item, in order, undefined when it was written, or why it may not
 * have been (the request failed, or the item was still unprocessed after the last attempt), so
 * the caller can write exactly those another way. Items must have distinct keys (BatchWriteItem
 * refuses duplicates in one request).
 */
export async function batchPutItems(
  items: readonly Item[],
  options: BatchPutOptions,
): Promise<unknown[]> {
  const outcomes = new Array<unknown>(items.length).fill(undefined);
  const limit = pLimit(options.concurrency);
  const chunks: number[][] = [];
  for (let start = 0; start < items.length; start += MAX_BATCH_WRITE_ITEMS) {
    chunks.push(
      items.slice(start, start + MAX_BATCH_WRITE_ITEMS).map((_, offset) => start + offset),
    );
  }
  await Promise.all(
    chunks.map((chunk) =>
      limit(async () => {
        const failures = await putChunk(
          chunk.map((index) => ({ index, item: items[index]! })),
          options,
        );
        for (const [index, reason] of failures) outcomes[index] = reason;
      }),
    ),
  );
  return outcomes;
}

interface Entry {
  index: number;
  item: Item;
}

/** The entries of one chunk that may not have been written, with why. */
async function putChunk(entries: Entry[], options: BatchPutOptions): Promise<Map<number, unknown>> {
  const { client, tableName, retry } = options;
  const sleep = retry.sleep ?? defaultSleep;
  const identity = (item: Item): string =>
    JSON.stringify(options.keyAttributes.map((name) => item[name]));
  let pending = entries;
  for (let attempt = 1; ; attempt++) {
    let unprocessed: WriteRequest[];
    try {
      const output = await client.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [tableName]: pending.map(({ item }) => ({ PutRequest: { Item: item } })),
          },
        }),
      );
      unprocessed = output.UnprocessedItems?.[tableName] ?? [];
    } catch (error) {
      return new Map(pending.map(({ index }) => [index, error]));
    }
    if (unprocessed.length === 0) return new Map();
    const left = new Set(unprocessed.map((request) => identity(request.PutRequest?.Item ?? {})));
    const stillPending = pending.filter(({ item }) => left.has(identity(item)));
    if (stillPending.length !== unprocessed.length) {
      // An answer we cannot map back to our items: nothing of this chunk counts as written.
      const error = new UnprocessedItemError(
        `BatchWriteItem on ${tableName} left ${unprocessed.length} items unprocessed that do not match the request`,
      );
      return new Map(entries.map(({ index }) => [index, error]));
    }
    pending = stillPending;
    if (attempt >= retry.maxAttempts) {
      const error = new UnprocessedItemError(
        `BatchWriteItem on ${tableName} left ${pending.length} items unprocessed after ${attempt} attempts`,
      );
      return new Map(pending.map(({ index }) => [index, error]));
    }
    await sleep(fullJitterDelay(attempt, retry, retry.random));
  }
}
