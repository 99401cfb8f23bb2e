import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import {
  CopyObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { StagedBatch, StagedVersion } from './staging-format';
import { S3StagingStore, keyAt, latestPerId, stagedObjectKeys } from './staging-format';

const s3Mock = mockClient(S3Client);
// The SDK's stream body, reduced to the one method S3StagingStore calls.
const textBody = (text: string) =>
  ({ transformToString: async () => text }) as unknown as GetObjectCommandOutput['Body'];
const store = () => new S3StagingStore(new S3Client({ region: 'us-east-1' }), 'bucket');
const batch: StagedBatch = {
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

describe('S3StagingStore', () => {
  beforeEach(() => s3Mock.reset());

  it('lists every page of ListObjectsV2', async () => {
    s3Mock
      .on(ListObjectsV2Command, { ContinuationToken: undefined })
      .resolves({
        Contents: [{ Key: 'staging/a.json', LastModified: new Date(1) }],
        IsTruncated: true,
        NextContinuationToken: 't1',
      })
      .on(ListObjectsV2Command, { ContinuationToken: 't1' })
      .resolves({
        Contents: [{ Key: 'staging/b.json', LastModified: new Date(2) }],
        IsTruncated: false,
      });

    const objects = await store().list('staging/');

    expect(objects).toEqual([
      { key: 'staging/a.json', lastModified: new Date(1) },
      { key: 'staging/b.json', lastModified: new Date(2) },
    ]);
    expect(
      s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.Prefix),
    ).toEqual(['staging/', 'staging/']);
  });

  it('reads an object as text, and a missing one as undefined', async () => {
    s3Mock
      .on(GetObjectCommand, { Key: 'there' })
      .resolves({ Body: textBody('{"x":1}') })
      .on(GetObjectCommand, { Key: 'gone' })
      .rejects(new NoSuchKey({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
    expect(await store().get('there')).toBe('{"x":1}');
    expect(await store().get('gone')).toBeUndefined();
  });

  it('answers undefined for a 404 without a modelled error class, and rethrows other errors', async () => {
    s3Mock
      .on(GetObjectCommand, { Key: 'gone' })
      .rejects(Object.assign(new Error('not found'), { $metadata: { httpStatusCode: 404 } }))
      .on(GetObjectCommand, { Key: 'forbidden' })
      .rejects(Object.assign(new Error('Forbidden'), { $metadata: { httpStatusCode: 403 } }));
    expect(await store().get('gone')).toBeUndefined();
    await expect(store().get('forbidden')).rejects.toThrow('Forbidden');
  });

  it('copies within the bucket with a URL-encoded copy source', async () => {
    s3Mock.on(CopyObjectCommand).resolves({});
    await store().copy('staging/2026/01/01/a b.json', 'delivered/2026/01/01/a b.json');
    expect(s3Mock.commandCalls(CopyObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'bucket',
      Key: 'delivered/2026/01/01/a b.json',
      CopySource: 'bucket/staging/2026/01/01/a%20b.json',
    });
  });
  it('writes put-if-absent and reports an existing object on 412', async () => {
    s3Mock
      .on(PutObjectCommand)
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
    const input = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      Bucket: 'bucket',
      Key: 'staging/2026/01/15/b1.json',
      IfNoneMatch: '*',
    });
    expect(JSON.parse(input.Body as string)).toEqual(batch);
  });

  it('lets other write errors through', async () => {
    s3Mock.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'InternalError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      }),
    );
    await expect(store().putIfAbsent('k', batch)).rejects.toThrow();
  });
});

describe('stagedObjectKeys', () => {
  it('keeps the path under staging/, in the order flush moves an object', () => {
    expect(stagedObjectKeys('staging/2026/01/15/b1.json')).toEqual([
      'staging/2026/01/15/b1.json',
      'dlq/2026/01/15/b1.json',
      'delivered/2026/01/15/b1.json',
    ]);
    expect(keyAt('staging/odd name.txt', 'dlq')).toBe('dlq/odd name.txt');
  });
});

const customer = (id: string, updatedAt = '2026-01-01T00:00:00.000Z') => ({
  id,
  name: `Customer ${id}`,
  updatedAt,
});
const latest = (versions: StagedVersion[]): StagedVersion['record'][] =>
  latestPerId(versions, (version) => ({ ...version, entity: version.record.id })).map(
    (version) => version.record,
  );
const records = <T extends StagedVersion['record']>(list: T[]) =>
  list.map((record) => ({ record }));

describe('latestPerId', () => {
  it('keeps the version with the latest updatedAt, in first-seen id order', () => {
    const newer = customer('a', '2026-01-02T00:00:00.000Z');
    const older = customer('a', '2026-01-01T00:00:00.000Z');
    const other = customer('b');
    expect(latest(records([older, other, newer]))).toEqual([newer, other]);
    expect(latest(records([newer, other, older]))).toEqual([newer, other]);
  });

  it('compares instants, not strings, across UTC offsets', () => {
    const earlier = customer('a', '2026-01-01T01:30:00+02:00'); // 2025-12-31T23:30Z, sorts last as text
    const later = customer('a', '2026-01-01T00:00:00.000Z');
    expect(latest(records([earlier, later]))).toEqual([later]);
    expect(latest(records([later, earlier]))).toEqual([later]);
  });

  it('breaks an updatedAt tie by content, the same whatever the order', () => {
    const x = { ...customer('a'), name: 'Alpha' };
    const y = { ...customer('a'), name: 'Beta' };
    expect(latest(records([x, y]))).toEqual(latest(records([y, x])));
    expect(latest(records([x, y]))).toHaveLength(1);
  });

  it('prefers the later offset of the same partition over the later updatedAt', () => {
    const readFirst = { record: customer('a', '2026-01-01T00:00:40.000Z'), position: at(0, '7') };
    const readLater = { record: customer('a', '2026-01-01T00:00:10.000Z'), position: at(0, '8') };
    expect(latest([readFirst, readLater])).toEqual([readLater.record]);
    expect(latest([readLater, readFirst])).toEqual([readLater.record]);
  });

  it('falls back to updatedAt when the positions are in different partitions', () => {
    const newer = { record: customer('a', '2026-01-02T00:00:00.000Z'), position: at(1, '1') };
    const older = { record: customer('a', '2026-01-01T00:00:00.000Z'), position: at(0, '50') };
    expect(latest([older, newer])).toEqual([newer.record]);
    expect(latest([newer, older])).toEqual([newer.record]);
  });
});

function at(partition: number, offset: string) {
  return { partition, offset };
}
