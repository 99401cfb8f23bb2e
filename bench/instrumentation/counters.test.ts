import { Readable } from 'node:stream';
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { RequestEvent } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { KafkaClient } from './counters';
import {
  countAwsSdkRequests,
  countingFetch,
  countKafkaRequests,
  installAwsSdkRequestCounter,
  itemsOf,
  operationOf,
  RequestTally,
  serviceOf,
} from './counters';

/** An HTTP handler answering every request with `status` and an empty JSON body. */
function answering(status: number) {
  return {
    handle: async () => ({
      response: {
        statusCode: status,
        reason: '',
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: Readable.from([Buffer.from('{}')]),
      },
    }),
  };
}

/** Answers `status` with a JSON `body` (and the error type header), recording each request body. */
function answeringWith(status: number, body: object, sent: unknown[]) {
  return {
    handle: async (request: { body?: unknown }) => {
      sent.push(JSON.parse(String(request.body)) as unknown);
      const type: unknown = Reflect.get(body, '__type');
      return {
        response: {
          statusCode: status,
          reason: '',
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            ...(typeof type === 'string' ? { 'x-amzn-errortype': type } : {}),
          },
          body: Readable.from([Buffer.from(JSON.stringify(body))]),
        },
      };
    },
  };
}

const clientOptions = {
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
};

describe('installAwsSdkRequestCounter', () => {
  const tally = new RequestTally();
  installAwsSdkRequestCounter(tally);
  installAwsSdkRequestCounter(tally); // idempotent: a second install must not double-count

  it('counts every attempt, retries included, by service and operation', async () => {
    const before = tally.snapshot()['dynamodb.GetItem'] ?? 0;
    const client = new DynamoDBClient({
      ...clientOptions,
      maxAttempts: 3,
      requestHandler: answering(500),
    });
    await expect(
      client.send(new GetItemCommand({ TableName: 't', Key: { id: { S: 'x' } } })),
    ).rejects.toThrow();
    expect((tally.snapshot()['dynamodb.GetItem'] ?? 0) - before).toBe(3);
  });

  it('reaches clients built by lib-dynamodb and counts one request per send', async () => {
    const before = tally.snapshot()['dynamodb.GetItem'] ?? 0;
    const document = DynamoDBDocumentClient.from(
      new DynamoDBClient({ ...clientOptions, requestHandler: answering(200) }),
    );
    await document.send(new GetCommand({ TableName: 't', Key: { id: 'x' } }));
    await document.send(new GetCommand({ TableName: 't', Key: { id: 'y' } }));
    expect((tally.snapshot()['dynamodb.GetItem'] ?? 0) - before).toBe(2);
  });

  it('counts the items of transactional writes', async () => {
    const client = new DynamoDBClient({ ...clientOptions, requestHandler: answering(200) });
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: 't', Item: { id: { S: '1' } } } },
          { Put: { TableName: 't', Item: { id: { S: '2' } } } },
        ],
      }),
    );
    expect(tally.snapshot()['dynamodb.TransactWriteItems.items']).toBe(2);
    expect(tally.snapshot()['dynamodb.TransactWriteItems']).toBe(1);
  });

  it('asks DynamoDB for the consumed capacity and adds the units it reports', async () => {
    const sent: unknown[] = [];
    const before = tally.snapshot()['dynamodb.BatchWriteItem.wru'] ?? 0;
    const client = new DynamoDBClient({
      ...clientOptions,
      requestHandler: answeringWith(
        200,
        { ConsumedCapacity: [{ TableName: 't', CapacityUnits: 5 }], UnprocessedItems: {} },
        sent,
      ),
    });
    const input = { RequestItems: { t: [{ PutRequest: { Item: { id: { S: '1' } } } }] } };
    await client.send(new BatchWriteItemCommand(input));
    expect(sent).toEqual([expect.objectContaining({ ReturnConsumedCapacity: 'TOTAL' })]);
    expect(input).not.toHaveProperty('ReturnConsumedCapacity');
    expect((tally.snapshot()['dynamodb.BatchWriteItem.wru'] ?? 0) - before).toBe(5);
  });

  it('bills a failed conditional put, which DynamoDB answers without a figure', async () => {
    const before = tally.snapshot()['dynamodb.PutItem.wru'] ?? 0;
    const client = new DynamoDBClient({
      ...clientOptions,
      requestHandler: answeringWith(
        400,
        { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException' },
        [],
      ),
    });
    await expect(
      client.send(
        new PutItemCommand({
          TableName: 't',
          Item: { id: { S: 'x' } },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      ),
    ).rejects.toThrow();
    expect((tally.snapshot()['dynamodb.PutItem.wru'] ?? 0) - before).toBe(1);
  });

  it('countAwsSdkRequests counts one client into its own tally, next to the thread-wide one', async () => {
    const own = new RequestTally();
    const counted = new DynamoDBClient({ ...clientOptions, requestHandler: answering(200) });
    const other = new DynamoDBClient({ ...clientOptions, requestHandler: answering(200) });
    countAwsSdkRequests(counted, own);
    countAwsSdkRequests(counted, own); // replaces itself: still one count per request
    const getItem = new GetItemCommand({ TableName: 't', Key: { id: { S: 'x' } } });
    const threadWideBefore = tally.snapshot()['dynamodb.GetItem'] ?? 0;
    await counted.send(getItem);
    await other.send(getItem);
    expect(own.snapshot()).toEqual({ 'dynamodb.GetItem': 1 });
    // The thread-wide counter installed above still counts both clients.
    expect((tally.snapshot()['dynamodb.GetItem'] ?? 0) - threadWideBefore).toBe(2);
  });
});

describe('names and items', () => {
  it('maps client and command names', () => {
    expect(serviceOf('DynamoDBDocumentClient')).toBe('dynamodb');
    expect(serviceOf('S3Client')).toBe('s3');
    expect(operationOf('PutObjectCommand')).toBe('PutObject');
  });

  it('counts batch items per table and Keys of batch gets', () => {
    expect(itemsOf({ RequestItems: { a: [{}, {}], b: [{}] } })).toBe(3);
    expect(itemsOf({ RequestItems: { a: { Keys: [{}, {}] } } })).toBe(2);
    expect(itemsOf({ TableName: 't' })).toBeUndefined();
  });
});

/** A consumer that only emits the REQUEST events the test fires. */
function fakeConsumer(): KafkaClient & { request(apiName: string): void } {
  const listeners: Array<(event: RequestEvent) => void> = [];
  return {
    events: { REQUEST: 'consumer.network.request' },
    on: (_eventName, listener) => listeners.push(listener),
    request(apiName) {
      const payload = { apiName, apiKey: 0, apiVersion: 0, broker: 'b', clientId: 'c' };
      const timing = { correlationId: 0, createdAt: 0, sentAt: 0, duration: 1, pendingDuration: 0 };
      const event = { id: '1', type: 'consumer.network.request', timestamp: 0 };
      for (const listener of listeners)
        listener({ ...event, payload: { ...payload, ...timing, size: 1 } });
    },
  };
}

describe('kafkajs and fetch counters', () => {
  it("counts a consumer's requests by API name", () => {
    const consumer = fakeConsumer();
    const tally = new RequestTally();
    countKafkaRequests(consumer, tally);
    for (const apiName of ['Fetch', 'Fetch', 'OffsetCommit', 'Heartbeat'])
      consumer.request(apiName);
    expect(tally.snapshot()).toEqual({
      'kafka.Fetch': 2,
      'kafka.OffsetCommit': 1,
      'kafka.Heartbeat': 1,
    });
  });

  it('counts each fetch by method and path and passes it on', async () => {
    const seen: string[] = [];
    const tally = new RequestTally();
    const counted = countingFetch(tally, async (input, init) => {
      seen.push(
        `${init?.method ?? 'GET'} ${input instanceof Request ? input.url : input.toString()}`,
      );
      return new Response('{}');
    });
    await counted('http://analytics/analytics/data', { method: 'POST' });
    await counted('http://analytics/analytics/data', { method: 'post' });
    await counted('http://analytics/analytics/stats');
    expect(tally.snapshot()).toEqual({
      'http.POST /analytics/data': 2,
      'http.GET /analytics/stats': 1,
    });
    expect(seen).toHaveLength(3);
  });
});
