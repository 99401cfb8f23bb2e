import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  ANALYTICS_POST_OPERATION,
  crashAfterAnalyticsPost,
  installSdkCrashHook,
  sdkOperationName,
} from './crash';

class Crashed extends Error {
  constructor(readonly operation: string) {
    super(`crashed after ${operation}`);
  }
}
const crash = (operation: string): never => {
  throw new Crashed(operation);
};

/** A stand-in for the SDK base class: `send` resolves or rejects as told. */
function fakeClientClass(serviceId: string, outcome: () => Promise<unknown>) {
  class FakeClient {
    config = { serviceId };
    declare send: (command: unknown) => Promise<unknown>;
  }
  FakeClient.prototype.send = () => outcome();
  return FakeClient;
}
/** A command class of its own name, as the SDK's are. */
class PutItemCommandLike {
  readonly input = {};
}

describe('sdkOperationName', () => {
  it('names real SDK calls <serviceId>.<operation>', () => {
    const dynamodb = new DynamoDBClient({ region: 'us-east-1' });
    const s3 = new S3Client({ region: 'us-east-1' });
    expect(sdkOperationName(dynamodb, new PutItemCommand({ TableName: 't', Item: {} }))).toBe(
      'DynamoDB.PutItem',
    );
    expect(sdkOperationName(s3, new PutObjectCommand({ Bucket: 'b', Key: 'k' }))).toBe(
      'S3.PutObject',
    );
    dynamodb.destroy();
    s3.destroy();
  });

  it('DynamoDBClient and S3Client inherit send from the one base prototype the preload patches', () => {
    const base = Object.getPrototypeOf(DynamoDBClient.prototype) as object;
    expect(Object.getPrototypeOf(S3Client.prototype)).toBe(base);
    expect(Object.hasOwn(base, 'send')).toBe(true);
    expect(Object.hasOwn(DynamoDBClient.prototype, 'send')).toBe(false);
    expect(Object.hasOwn(S3Client.prototype, 'send')).toBe(false);
  });
});

describe('installSdkCrashHook', () => {
  it('crashes only after the call succeeded, never before it was sent', async () => {
    let sent = 0;
    const Client = fakeClientClass('DynamoDB', async () => {
      sent++;
      return { ok: true };
    });
    const asked: string[] = [];
    const restore = installSdkCrashHook(Client.prototype, {
      shouldCrash: (operation) => {
        asked.push(operation);
        return true;
      },
      crash,
    });
    try {
      await expect(new Client().send(new PutItemCommandLike())).rejects.toThrow(
        new Crashed('DynamoDB.PutItemCommandLike'),
      );
      expect(sent).toBe(1);
      expect(asked).toEqual(['DynamoDB.PutItemCommandLike']);
    } finally {
      restore();
    }
  });

  it('passes results through when it does not crash, and failed calls without asking', async () => {
    let fail = false;
    const Client = fakeClientClass('S3', async () => {
      if (fail) throw new Error('PreconditionFailed');
      return { ETag: '"1"' };
    });
    const asked: string[] = [];
    const restore = installSdkCrashHook(Client.prototype, {
      shouldCrash: (operation) => {
        asked.push(operation);
        return false;
      },
      crash,
    });
    try {
      await expect(new Client().send({})).resolves.toEqual({ ETag: '"1"' });
      fail = true;
      await expect(new Client().send({})).rejects.toThrow('PreconditionFailed');
      expect(asked).toEqual(['S3.Object']);
    } finally {
      restore();
    }
  });

  it('restores the original send', async () => {
    const Client = fakeClientClass('S3', async () => 'original');
    const original = Client.prototype.send;
    const restore = installSdkCrashHook(Client.prototype, {
      shouldCrash: () => true,
      crash,
    });
    expect(Client.prototype.send).not.toBe(original);
    restore();
    expect(Client.prototype.send).toBe(original);
    await expect(new Client().send({})).resolves.toBe('original');
  });
});

class PostCrashed extends Error {}
const crashPost = (): never => {
  throw new PostCrashed('crashed');
};

function fakeFetch(status: number): typeof fetch & { calls: number } {
  const impl = async (): Promise<Response> => {
    impl.calls++;
    return new Response('{}', { status });
  };
  impl.calls = 0;
  return impl;
}

describe('crashAfterAnalyticsPost', () => {
  it('crashes after a 2xx answer to POST …/analytics/data, once the request was sent', async () => {
    const inner = fakeFetch(202);
    const asked: string[] = [];
    const wrapped = crashAfterAnalyticsPost(inner, {
      shouldCrash: (operation) => {
        asked.push(operation);
        return true;
      },
      crash: crashPost,
    });
    await expect(
      wrapped('http://127.0.0.1:9/prod/analytics/data', { method: 'POST', body: '{}' }),
    ).rejects.toBeInstanceOf(PostCrashed);
    expect(inner.calls).toBe(1);
    expect(asked).toEqual([ANALYTICS_POST_OPERATION]);
  });

  it('does not consider failed POSTs, other paths or other methods', async () => {
    const asked: string[] = [];
    const options = {
      shouldCrash: (operation: string) => {
        asked.push(operation);
        return true;
      },
      crash: crashPost,
    };
    const failing = crashAfterAnalyticsPost(fakeFetch(503), options);
    expect((await failing('http://x/analytics/data', { method: 'POST', body: '{}' })).status).toBe(
      503,
    );
    const ok = crashAfterAnalyticsPost(fakeFetch(200), options);
    expect((await ok('http://x/analytics/stats')).status).toBe(200);
    expect((await ok('http://x/crm/customers', { method: 'POST' })).status).toBe(200);
    expect((await ok(new Request('http://x/analytics/data'))).status).toBe(200);
    expect(asked).toEqual([]);
  });

  it('reads method and URL from a Request object', async () => {
    const wrapped = crashAfterAnalyticsPost(fakeFetch(200), {
      shouldCrash: () => true,
      crash: crashPost,
    });
    await expect(
      wrapped(new Request('http://x/analytics/data', { method: 'POST', body: '{}' })),
    ).rejects.toBeInstanceOf(PostCrashed);
  });

  it('returns the answer untouched when the decider says no', async () => {
    const wrapped = crashAfterAnalyticsPost(fakeFetch(201), {
      shouldCrash: () => false,
      crash: crashPost,
    });
    const response = await wrapped(new URL('http://x/analytics/data'), { method: 'post' });
    expect(response.status).toBe(201);
  });
});
