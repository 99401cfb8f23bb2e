import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  S3Client,
} from '@aws-sdk/client-s3';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3StagingStore } from './staging-store';

const s3Mock = mockClient(S3Client);
// The SDK's stream body, reduced to the one method S3StagingStore calls.
const textBody = (text: string) =>
  ({ transformToString: async () => text }) as unknown as GetObjectCommandOutput['Body'];
const store = () => new S3StagingStore(new S3Client({ region: 'us-east-1' }), 'bucket');

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

  it('tells whether an object exists, and rethrows other errors', async () => {
    s3Mock
      .on(HeadObjectCommand, { Key: 'there' })
      .resolves({})
      .on(HeadObjectCommand, { Key: 'gone' })
      .rejects(new NotFound({ message: 'not found', $metadata: { httpStatusCode: 404 } }))
      .on(HeadObjectCommand, { Key: 'forbidden' })
      .rejects(Object.assign(new Error('Forbidden'), { $metadata: { httpStatusCode: 403 } }));
    expect(await store().exists('there')).toBe(true);
    expect(await store().exists('gone')).toBe(false);
    await expect(store().exists('forbidden')).rejects.toThrow('Forbidden');
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
});
