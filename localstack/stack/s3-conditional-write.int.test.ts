import { randomUUID } from 'node:crypto';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLocalStackEnv } from '../../test/support/local-stack';

// Staging relies on put-if-absent (If-None-Match: *). Uses the SDK exactly as the handlers do:
// endpoint from AWS_ENDPOINT_URL_S3, default checksum settings.
describe('S3Mock with AWS SDK v3 defaults', () => {
  let s3: S3Client;
  const bucket = `stack-s3-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    applyLocalStackEnv();
    s3 = new S3Client({});
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(() => s3.destroy());

  const read = async (key: string): Promise<string> => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await object.Body?.transformToString()) ?? '';
  };

  it('lets the first conditional put win and rejects the second with 412, leaving the object unchanged', async () => {
    const key = 'staging/2026/01/01/batch-1.json';
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"first":true}', IfNoneMatch: '*' }),
    );

    const second = await s3
      .send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: '{"second":true}',
          IfNoneMatch: '*',
        }),
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(second).toBeInstanceOf(S3ServiceException);
    expect((second as S3ServiceException).$metadata.httpStatusCode).toBe(412);
    expect((second as S3ServiceException).name).toBe('PreconditionFailed');
    expect(await read(key)).toBe('{"first":true}');
  });

  it('copies and deletes objects', async () => {
    const source = 'staging/2026/01/01/batch-2.json';
    const target = 'delivered/2026/01/01/batch-2.json';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: source, Body: '{"batch":2}' }));
    await s3.send(
      new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: `${bucket}/${source}` }),
    );
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: source }));

    expect(await read(target)).toBe('{"batch":2}');
    const staged = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'staging/2026/01/01/batch-2' }),
    );
    expect(staged.KeyCount ?? 0).toBe(0);
  });
});
