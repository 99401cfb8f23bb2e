import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { SdkClientPrototype } from './sdk-crash-hook';
import { installSdkCrashHook, sdkOperationName } from './sdk-crash-hook';

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
    send(_command: unknown): Promise<unknown> {
      return outcome();
    }
  }
  return FakeClient;
}
class PutItemCommandLike {}

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
    const restore = installSdkCrashHook(Client.prototype as SdkClientPrototype, {
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
    const restore = installSdkCrashHook(Client.prototype as SdkClientPrototype, {
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
    const restore = installSdkCrashHook(Client.prototype as SdkClientPrototype, {
      shouldCrash: () => true,
      crash,
    });
    expect(Client.prototype.send).not.toBe(original);
    restore();
    expect(Client.prototype.send).toBe(original);
    await expect(new Client().send({})).resolves.toBe('original');
  });
});
