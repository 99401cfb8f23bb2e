import { randomUUID } from 'node:crypto';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { pipeline, tables, topics } from '../../lambdas/shared/pipeline';
import { applyLocalStackEnv, localStack } from '../../test/support/local-stack';
import type { PipelineResourceNames } from './provision';
import { provisionPipelineResources } from './provision';

describe('provisionPipelineResources', () => {
  it('creates the topics, tables and bucket, and a second run changes nothing and does not fail', async () => {
    applyLocalStackEnv();
    const suffix = randomUUID().slice(0, 8);
    const names: PipelineResourceNames = {
      customerTopic: `customers-${suffix}`,
      productTopic: `products-${suffix}`,
      dlqTopic: `dlq-${suffix}`,
      idempotencyTable: `idempotency-${suffix}`,
      syncStateTable: `sync-state-${suffix}`,
      stagingBucket: `staging-${suffix}`,
    };

    const first = await provisionPipelineResources(localStack(), names);
    const second = await provisionPipelineResources(localStack(), names);
    expect(first).toEqual(names);
    expect(second).toEqual(names);

    const admin = new Kafka({
      clientId: 'provision-test',
      brokers: [localStack().kafkaBrokers],
      logLevel: logLevel.WARN,
    }).admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({
        topics: [names.customerTopic, names.productTopic, names.dlqTopic],
      });
      const partitionsOf = (topic: string) =>
        metadata.topics.find((entry) => entry.name === topic)?.partitions.length;
      expect(partitionsOf(names.customerTopic)).toBe(pipeline.topics[topics.customers].partitions);
      expect(partitionsOf(names.productTopic)).toBe(pipeline.topics[topics.products].partitions);
      expect(partitionsOf(names.dlqTopic)).toBe(pipeline.topics[topics.dlq].partitions);
      await admin.deleteTopics({
        topics: [names.customerTopic, names.productTopic, names.dlqTopic],
      });
    } finally {
      await admin.disconnect();
    }

    const dynamodb = new DynamoDBClient({});
    const idempotency = await dynamodb.send(
      new DescribeTableCommand({ TableName: names.idempotencyTable }),
    );
    expect(idempotency.Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(idempotency.Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const ttl = await dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: names.idempotencyTable }),
    );
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe(tables.idempotency.ttlAttribute);
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
    const syncState = await dynamodb.send(
      new DescribeTableCommand({ TableName: names.syncStateTable }),
    );
    expect(syncState.Table?.KeySchema).toEqual([{ AttributeName: 'source', KeyType: 'HASH' }]);
    dynamodb.destroy();

    const s3 = new S3Client({});
    const head = await s3.send(new HeadBucketCommand({ Bucket: names.stagingBucket }));
    expect(head.$metadata.httpStatusCode).toBe(200);
    s3.destroy();
  });
});
