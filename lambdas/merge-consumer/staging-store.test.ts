import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import {
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { StagedBatchWithVersions } from '../shared/staging-format';
import { S3StagingStore } from './staging-store';

const s3 = mockClient(S3Client);
const batch: StagedBatchWithVersions = {
  batchId: 'b1',
  createdAt: '2026-01-15T12:00:00.000Z',
  customers: [],
  products: [
    {
      id: 'p-1',
      productName: 'P',
      sku: 'S',
      stockQuantity: 1,
      updatedAt: '2026-01-15T09:00:00.000Z',
    },
  ],
  offsets: [{ topic: 'inventory_data', partition: 0, firstOffset: '1', lastOffset: '1' }],
  recordVersions: ['PRODUCT#p-1#x'],
};
const store = () => new S3StagingStore(new S3Client({ region: 'us-east-1' }), 'bucket');

beforeEach(() => s3.reset());

describe('S3StagingStore', () => {
  it('writes put-if-absent and reports an existing object on 412', async () => {
    s3.on(PutObjectCommand)
      .resolvesOnce({})
      .rejectsOnce(
        new S3ServiceException({
          name: 'PreconditionFailed',
          $fault: 'client',
          $metadata: { httpStatusCode: 412 },
        }),
      );
    await expect(store().putIfAbsent('staging/2026/01/15/b1.json', batch)).resolves.toBe('created');
    await expect(store().putIfAbsent('staging/2026/01/15/b1.json', batch)).resolves.toBe('exists');
    const input = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      Bucket: 'bucket',
      Key: 'staging/2026/01/15/b1.json',
      IfNoneMatch: '*',
    });
    expect(JSON.parse(String(input.Body))).toEqual(batch);
  });

  it('lets other write errors through', async () => {
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'InternalError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      }),
    );
    await expect(store().putIfAbsent('k', batch)).rejects.toThrow();
  });

  it('reads an object back, and undefined when there is none', async () => {
    s3.on(GetObjectCommand, { Key: 'there' })
      .resolves({
        Body: { transformToString: async () => JSON.stringify(batch) },
      } as unknown as GetObjectCommandOutput)
      .on(GetObjectCommand, { Key: 'missing' })
      .rejects(new NoSuchKey({ message: 'missing', $metadata: { httpStatusCode: 404 } }));
    await expect(store().read('there')).resolves.toEqual(batch);
    await expect(store().read('missing')).resolves.toBeUndefined();
  });

  it('reads any object as JSON: null when it is not JSON, undefined when there is none', async () => {
    const body = (text: string) =>
      ({ Body: { transformToString: async () => text } }) as unknown as GetObjectCommandOutput;
    s3.on(GetObjectCommand, { Key: 'dlq/by-batch/b1.json' })
      .resolves(body('{"eventId":"e","key":"dlq/e/b1.json"}'))
      .on(GetObjectCommand, { Key: 'dlq/invalid/x' })
      .resolves(body('not json'))
      .on(GetObjectCommand, { Key: 'missing' })
      .rejects(new NoSuchKey({ message: 'missing', $metadata: { httpStatusCode: 404 } }));
    await expect(store().readJson('dlq/by-batch/b1.json')).resolves.toEqual({
      eventId: 'e',
      key: 'dlq/e/b1.json',
    });
    await expect(store().readJson('dlq/invalid/x')).resolves.toBeNull();
    await expect(store().readJson('missing')).resolves.toBeUndefined();
  });
});
