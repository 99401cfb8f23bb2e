import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { countSdkRequests, countingFetch } from './request-counters';

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

const getItem = new GetItemCommand({ TableName: 't', Key: { id: { S: 'k' } } });

describe('countSdkRequests', () => {
  it('counts one request per send that succeeds', async () => {
    const dynamodb = client(200, '{}', 3);
    const counter = countSdkRequests(dynamodb);
    await dynamodb.send(getItem);
    await dynamodb.send(getItem);
    expect(counter.count).toBe(2);
  });

  it('counts every attempt the SDK retries, not just the send', async () => {
    const dynamodb = client(500, '{"__type":"InternalServerError","message":"boom"}', 2);
    const counter = countSdkRequests(dynamodb);
    await expect(dynamodb.send(getItem)).rejects.toThrow();
    expect(counter.count).toBe(2);
  });
});

describe('countingFetch', () => {
  it('counts requests by method before passing them on', async () => {
    const seen: string[] = [];
    const counting = countingFetch(async (input, init) => {
      seen.push(`${init?.method ?? 'GET'} ${String(input)}`);
      return new Response('{}');
    });
    await counting.fetch('http://analytics/analytics/data', { method: 'POST' });
    await counting.fetch('http://analytics/analytics/data', { method: 'post' });
    await counting.fetch('http://analytics/analytics/stats');

    expect(counting.of('POST')).toBe(2);
    expect(counting.of('GET')).toBe(1);
    expect(counting.of('PUT')).toBe(0);
    expect(seen).toHaveLength(3);
  });
});
