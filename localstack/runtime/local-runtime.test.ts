import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pipelineFunctions } from '../../lambdas/shared/functions';
import { KafkaEnvSchema } from '../../lambdas/shared/kafka';
import { pipeline } from '../../lambdas/shared/pipeline';
import { defaultResourceNames } from '../stack/provision';
import { mergeConsumerSubscriptions, pipelineFunctionDefinitions } from './local-runtime';
import { mergeConsumerGroupId as infraGroupId } from '../../lambdas/shared/pipeline';

const endpoints = {
  kafkaBrokers: '127.0.0.1:19092',
  dynamodbEndpoint: 'http://127.0.0.1:18000',
  s3Endpoint: 'http://127.0.0.1:19090',
  region: 'us-east-1',
};

describe('pipelineFunctionDefinitions', () => {
  const definitions = pipelineFunctionDefinitions({
    endpoints,
    names: {
      ...defaultResourceNames,
      customerTopic: 'customers-test',
      stagingBucket: 'bucket-test',
    },
    mockApiUrl: 'http://127.0.0.1:4010',
    extraEnv: { pollCrm: { POLLER_PAGE_SIZE: '50' } },
  });

  it('points every function at the local stack with its own identity', () => {
    for (const definition of Object.values(definitions)) {
      expect(existsSync(definition.handlerModule)).toBe(true);
      expect(definition.env).toMatchObject({
        KAFKA_BROKERS: endpoints.kafkaBrokers,
        AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodbEndpoint,
        AWS_ENDPOINT_URL_S3: endpoints.s3Endpoint,
        AWS_REGION: 'us-east-1',
        POWERTOOLS_SERVICE_NAME: definition.functionName,
        AWS_LAMBDA_FUNCTION_NAME: definition.functionName,
        POWERTOOLS_METRICS_NAMESPACE: pipeline.metrics.namespace,
        POWERTOOLS_LOG_LEVEL: 'WARN',
      });
    }
    expect(definitions.pollCrm.env.POLLER_PAGE_SIZE).toBe('50');
    expect(definitions.pollInventory.env.POLLER_PAGE_SIZE).toBeUndefined();
  });

  it("gives each function the registry's env for the local names, and its schema accepts it", () => {
    for (const [key, definition] of Object.entries(definitions)) {
      const spec = pipelineFunctions[key as keyof typeof pipelineFunctions];
      expect(spec.envSchema.safeParse(definition.env).error).toBeUndefined();
      expect(KafkaEnvSchema.safeParse(definition.env).error).toBeUndefined();
    }
    expect(definitions.pollCrm.env).toMatchObject({
      CUSTOMER_TOPIC: 'customers-test',
      SOURCE_API_BASE_URL: 'http://127.0.0.1:4010',
      API_AUTH: 'none',
    });
    expect(definitions.mergeConsumer.env.STAGING_BUCKET).toBe('bucket-test');
    expect(definitions.flush.env).toMatchObject({
      STAGING_BUCKET: 'bucket-test',
      ANALYTICS_API_BASE_URL: 'http://127.0.0.1:4010',
    });
    // Only its own: a poller is not told the claims table (its known ids live in the bucket since
    // issue 15), merge-consumer not where the APIs are.
    expect(definitions.pollCrm.env.STAGING_BUCKET).toBe('bucket-test');
    expect(definitions.pollCrm.env.IDEMPOTENCY_TABLE).toBeUndefined();
    expect(definitions.mergeConsumer.env.SOURCE_API_BASE_URL).toBeUndefined();
    expect(definitions.mergeConsumer.env.ANALYTICS_API_BASE_URL).toBeUndefined();
  });

  it('takes timeouts, memory and concurrency from pipeline.ts', () => {
    expect(definitions.flush).toMatchObject({
      timeoutMs: pipeline.flush.timeoutSeconds * 1000,
      memoryMb: pipeline.flush.memoryMb,
      maxConcurrency: pipeline.flush.reservedConcurrency,
    });
    expect(definitions.mergeConsumer.timeoutMs).toBe(pipeline.mergeConsumer.timeoutSeconds * 1000);
    expect(definitions.pollCrm.timeoutMs).toBe(pipeline.poller.timeoutSeconds * 1000);
    expect(definitions.pollCrm.maxConcurrency).toBe(1);
  });
});

describe('mergeConsumerSubscriptions', () => {
  it('maps each topic alone, on the consumer group infra deploys for it', () => {
    const subscriptions = mergeConsumerSubscriptions(defaultResourceNames);
    expect(subscriptions.map(({ topic }) => topic)).toEqual([
      defaultResourceNames.customerTopic,
      defaultResourceNames.productTopic,
    ]);
    for (const { topic, groupId } of subscriptions) expect(groupId).toBe(infraGroupId(topic));
    expect(new Set(subscriptions.map(({ groupId }) => groupId)).size).toBe(2);
    expect(mergeConsumerSubscriptions(defaultResourceNames, 'bench-1')[0]?.groupId).toBe(
      `bench-1-${defaultResourceNames.customerTopic}`,
    );
  });
});
