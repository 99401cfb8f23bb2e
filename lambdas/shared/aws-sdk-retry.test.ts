import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { StandardRetryStrategy } from '@smithy/util-retry';
import type { RetryStrategyV2 } from '@smithy/types';
import { afterEach, describe, expect, it } from 'vitest';
import { PerCallRetryStrategy, awsSdkRetryOptions } from './aws-sdk-retry';

const fastRetries = { maxAttempts: 10, baseDelayMs: 1, maxDelayMs: 2 };
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

function clientFor(
  endpoint: string,
  retry: { maxAttempts: number; retryStrategy: RetryStrategyV2 },
) {
  return new DynamoDBClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...retry,
  });
}

const getItem = new GetItemCommand({ TableName: 'claims', Key: { id: { S: 'customer#1' } } });

/** A loopback port nothing listens on: every connection is refused, like a restarting server. */
async function refusedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** Answers each request with the next status in `statuses`, then 200 `{}`; counts requests. */
async function scriptedEndpoint(
  statuses: number[],
): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const status = statuses[requests] ?? 200;
      requests += 1;
      response.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        ...(status === 400 ? { 'x-amzn-errortype': 'ValidationException' } : {}),
      });
      response.end(status === 200 ? '{}' : JSON.stringify({ message: `status ${status}` }));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests: () => requests };
}

async function attemptsOfFailedCalls(client: DynamoDBClient, calls: number): Promise<number[]> {
  const results = await Promise.allSettled(
    Array.from({ length: calls }, () => client.send(getItem)),
  );
  return results.map((result) => {
    if (result.status === 'fulfilled') throw new Error('expected the call to fail');
    return (result.reason as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 0;
  });
}

describe('PerCallRetryStrategy', () => {
  it('gives every one of many concurrently refused calls all its attempts', async () => {
    const client = clientFor(await refusedEndpoint(), awsSdkRetryOptions(fastRetries));

    const attempts = await attemptsOfFailedCalls(client, 20);

    expect(attempts).toEqual(Array.from({ length: 20 }, () => 10));
  });

  it('differs from the SDK strategy, whose client-wide quota runs out under the same load', async () => {
    const sdkStrategy = new StandardRetryStrategy({ maxAttempts: 10, baseDelay: 1 });
    const client = clientFor(await refusedEndpoint(), {
      maxAttempts: 10,
      retryStrategy: sdkStrategy,
    });

    const attempts = await attemptsOfFailedCalls(client, 20);

    // 500 quota tokens at 14 per connection-error retry: 35 retries for all 20 calls together.
    const retries = attempts.reduce((sum, n) => sum + n - 1, 0);
    expect(retries).toBeLessThanOrEqual(Math.floor(500 / 14));
    expect(Math.min(...attempts)).toBeLessThan(10);
  });

  it('retries 5xx until the call succeeds', async () => {
    const server = await scriptedEndpoint([503, 500, 503]);
    const client = clientFor(server.url, awsSdkRetryOptions(fastRetries));

    const output = await client.send(getItem);

    expect(output.$metadata.attempts).toBe(4);
    expect(server.requests()).toBe(4);
  });

  it('does not retry a client error', async () => {
    const server = await scriptedEndpoint([400]);
    const client = clientFor(server.url, awsSdkRetryOptions(fastRetries));

    await expect(client.send(getItem)).rejects.toMatchObject({ name: 'ValidationException' });
    expect(server.requests()).toBe(1);
  });

  it('waits full-jitter backoff between attempts: random × min(max, base × 2^retry)', async () => {
    const strategy = new PerCallRetryStrategy({
      maxAttempts: 5,
      baseDelayMs: 10,
      maxDelayMs: 40,
      random: () => 0.5,
    });
    const client = clientFor(await refusedEndpoint(), { maxAttempts: 5, retryStrategy: strategy });

    const failure = await client.send(getItem).catch((error: unknown) => error);

    // Caps 10, 20, 40, 40 → delays 5 + 10 + 20 + 20.
    expect(failure).toMatchObject({ $metadata: { attempts: 5, totalRetryDelay: 55 } });
  });

  it('rejects fewer than one attempt', () => {
    expect(() => new PerCallRetryStrategy({ ...fastRetries, maxAttempts: 0 })).toThrow(/>= 1/);
  });
});
