import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { RequestEvent } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { KafkaClient } from '../instrumentation/kafkajs-counter';
import { countBaselineRequests } from './request-counters';

/** An SDK request handler that answers every request with `statusCode`, without a network. */
function answering(statusCode: number, body: string) {
  return {
    handle: async () => ({
      response: {
        statusCode,
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: new TextEncoder().encode(body),
      },
    }),
  };
}

function client(statusCode: number, body: string, maxAttempts: number): DynamoDBClient {
  return new DynamoDBClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts,
    requestHandler: answering(statusCode, body),
  });
}

/** A consumer that only emits the REQUEST events the test fires. */
function fakeConsumer(): KafkaClient & { request(apiName: string): void } {
  const listeners: Array<(event: RequestEvent) => void> = [];
  return {
    events: { REQUEST: 'consumer.network.request' },
    on: (_eventName, listener) => listeners.push(listener),
    request(apiName) {
      const event: RequestEvent = {
        id: '1',
        type: 'consumer.network.request',
        timestamp: 0,
        payload: {
          apiKey: 0,
          apiName,
          apiVersion: 0,
          broker: 'b',
          clientId: 'c',
          correlationId: 0,
          createdAt: 0,
          sentAt: 0,
          duration: 1,
          pendingDuration: 0,
          size: 1,
        },
      };
      for (const listener of listeners) listener(event);
    },
  };
}

const getItem = new GetItemCommand({ TableName: 't', Key: { id: { S: 'k' } } });
const noFetch: typeof fetch = async () => new Response('{}');

describe('countBaselineRequests', () => {
  it('counts one DynamoDB request per send that succeeds', async () => {
    const dynamodb = client(200, '{}', 3);
    const counters = countBaselineRequests({ dynamodb, consumer: fakeConsumer(), fetch: noFetch });
    await dynamodb.send(getItem);
    await dynamodb.send(getItem);
    expect(counters.requests().dynamodb).toBe(2);
  });

  it('counts every attempt the SDK retries, not just the send', async () => {
    const dynamodb = client(500, '{"__type":"InternalServerError","message":"boom"}', 2);
    const counters = countBaselineRequests({ dynamodb, consumer: fakeConsumer(), fetch: noFetch });
    await expect(dynamodb.send(getItem)).rejects.toThrow();
    expect(counters.requests().dynamodb).toBe(2);
  });

  it('counts POSTs to Analytics only, each passed on', async () => {
    const seen: string[] = [];
    const counters = countBaselineRequests({
      dynamodb: client(200, '{}', 1),
      consumer: fakeConsumer(),
      fetch: async (input, init) => {
        seen.push(`${init?.method ?? 'GET'} ${String(input)}`);
        return new Response('{}');
      },
    });
    await counters.fetch('http://analytics/analytics/data', { method: 'POST' });
    await counters.fetch('http://analytics/analytics/data', { method: 'post' });
    await counters.fetch('http://analytics/analytics/stats');

    expect(counters.requests().analyticsPosts).toBe(2);
    expect(seen).toHaveLength(3);
  });

  it("counts the consumer's fetches and offset commits apart from its other requests", () => {
    const consumer = fakeConsumer();
    const counters = countBaselineRequests({ dynamodb: client(200, '{}', 1), consumer });
    for (const apiName of ['Fetch', 'Fetch', 'OffsetCommit', 'Heartbeat']) {
      consumer.request(apiName);
    }
    expect(counters.requests()).toMatchObject({ kafkaFetches: 2, offsetCommits: 1 });
  });
});
