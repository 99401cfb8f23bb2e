import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { StagedBatchWithVersions } from '../shared/staging-format';
import { StagedBatchWithVersionsSchema } from '../shared/staging-format';

/** Where merge-consumer writes its batches. */
export interface StagingStore {
  /** Writes the object unless one exists under `key` ('exists': a previous attempt wrote it). */
  putIfAbsent(key: string, batch: StagedBatchWithVersions): Promise<'created' | 'exists'>;
  /** The staged object under `key`, or undefined when there is none. */
  read(key: string): Promise<StagedBatchWithVersions | undefined>;
  /** Any object of the bucket (e.g. where flush moved a batch) as JSON, undefined when absent. */
  readJson(key: string): Promise<unknown>;
}

export class S3StagingStore implements StagingStore {
  constructor(
    private readonly s3: Pick<S3Client, 'send'>,
    private readonly bucket: string,
  ) {}

  async putIfAbsent(key: string, batch: StagedBatchWithVersions): Promise<'created' | 'exists'> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: JSON.stringify(batch),
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
      return 'created';
    } catch (error) {
      if (httpStatus(error) === 412) return 'exists';
      throw error;
    }
  }

  async read(key: string): Promise<StagedBatchWithVersions | undefined> {
    const json = await this.readJson(key);
    return json === undefined ? undefined : StagedBatchWithVersionsSchema.parse(json);
  }

  /** Text that is not JSON reads as `null`: the object exists, it just says nothing. */
  async readJson(key: string): Promise<unknown> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const text = (await object.Body?.transformToString()) ?? '';
      return parseJsonOrNull(text);
    } catch (error) {
      if (httpStatus(error) === 404 || (error instanceof Error && error.name === 'NoSuchKey'))
        return undefined;
      throw error;
    }
  }
}

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
}
