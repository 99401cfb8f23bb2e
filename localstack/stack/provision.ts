import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { pipeline, staging, tables, topics } from '../../lambdas/shared/pipeline';
import type { PipelineResourceNames } from '../../lambdas/shared/functions';
import { ensureTopics } from '../../infra/lib/topics-handler/ensure-topics';
import type { StackEndpoints } from './endpoints';
import { localCredentials, localS3Client } from './endpoints';

export type { PipelineResourceNames };

/** Resource names; each defaults to pipeline.ts and can be overridden so tests stay isolated. */
export const defaultResourceNames: PipelineResourceNames = {
  customerTopic: topics.customers,
  productTopic: topics.products,
  dlqTopic: topics.dlq,
  idempotencyTable: tables.idempotency.name,
  syncStateTable: tables.syncState.name,
  stagingBucket: staging.bucket,
};

/**
 * Creates what is missing of what infra/ creates on AWS: the topics (pipeline.ts' partitions and
 * retention), the idempotency table (Powertools' key `id`, TTL), sync-state and the bucket.
 */
export async function provisionPipelineResources(
  endpoints: StackEndpoints,
  names: Partial<PipelineResourceNames> = {},
): Promise<PipelineResourceNames> {
  const resolved: PipelineResourceNames = { ...defaultResourceNames, ...names };
  await Promise.all([
    provisionTopics(endpoints, resolved),
    provisionTables(endpoints, resolved),
    provisionBucket(endpoints, resolved),
  ]);
  return resolved;
}

/** Through infra's `ensureTopics`, what its topics custom resource runs on MSK. */
async function provisionTopics(endpoints: StackEndpoints, names: PipelineResourceNames) {
  const specs = [
    { name: names.customerTopic, ...pipeline.topics[topics.customers] },
    { name: names.productTopic, ...pipeline.topics[topics.products] },
    { name: names.dlqTopic, ...pipeline.topics[topics.dlq] },
  ].map(({ retentionHours, ...spec }) => ({ ...spec, retentionMs: retentionHours * 3_600_000 }));
  const admin = new Kafka({
    clientId: 'local-stack-provision',
    brokers: [endpoints.kafkaBrokers],
    logLevel: logLevel.WARN,
  }).admin();
  await admin.connect();
  await ensureTopics(admin, specs).finally(() => admin.disconnect());
}

async function provisionTables(endpoints: StackEndpoints, names: PipelineResourceNames) {
  const { dynamodbEndpoint: endpoint, region } = endpoints;
  const client = new DynamoDBClient({ endpoint, region, credentials: localCredentials });
  try {
    await createTableIfMissing(client, names.idempotencyTable, tables.idempotency.partitionKey);
    await enableTtl(client, names.idempotencyTable, tables.idempotency.ttlAttribute);
    await createTableIfMissing(client, names.syncStateTable, tables.syncState.partitionKey);
  } finally {
    client.destroy();
  }
}

/** A table of one string partition key (on demand); resolves once it exists. */
export async function createTableIfMissing(client: DynamoDBClient, tableName: string, key: string) {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: tableName });
}

async function enableTtl(client: DynamoDBClient, tableName: string, attributeName: string) {
  const current = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = current.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: attributeName, Enabled: true },
    }),
  );
}

async function provisionBucket(endpoints: StackEndpoints, names: PipelineResourceNames) {
  const client = localS3Client(endpoints);
  try {
    await client.send(new CreateBucketCommand({ Bucket: names.stagingBucket }));
  } catch (error) {
    // Made by an earlier run, or by another provisioner racing this one: its bucket is ours too.
    if (!(error instanceof Error && error.name === 'BucketAlreadyOwnedByYou')) throw error;
  } finally {
    client.destroy();
  }
}
