import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionNames, pipeline, topics } from '../../lambdas/shared/pipeline';
import { mergeConsumerGroupId } from '../../lambdas/shared/pipeline';
import type { Synthesized } from './synth';
import { synthesize } from './synth';

let local: Synthesized;
beforeAll(() => {
  local = synthesize({ target: 'localstack' });
}, 180_000);

describe('target localstack', () => {
  it('has no VPC and no MSK', () => {
    local.template.resourceCountIs('AWS::EC2::VPC', 0);
    local.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    local.template.resourceCountIs('AWS::MSK::ServerlessCluster', 0);
    local.template.resourceCountIs('AWS::MSK::Cluster', 0);
    for (const fn of Object.values(local.template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.VpcConfig).toBeUndefined();
    }
  });

  it('points every Kafka client at the self-managed broker from context', () => {
    const custom = synthesize({ target: 'localstack', kafkaBootstrap: 'broker-1:19092' });
    for (const name of [
      functionNames.pollCrm,
      functionNames.pollInventory,
      functionNames.mergeConsumer,
      functionNames.flush,
    ]) {
      custom.template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_SERVICE_NAME: name,
            KAFKA_BROKERS: 'broker-1:19092',
            KAFKA_AUTH: 'none',
          }),
        },
      });
    }
    for (const fn of Object.values(custom.template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment?.Variables?.MSK_CLUSTER_ARN).toBeUndefined();
    }
  }, 180_000);

  it('feeds merge-consumer through self-managed Kafka mappings with the same controls', () => {
    const consumer = pipeline.mergeConsumer;
    for (const topic of [topics.customers, topics.products]) {
      local.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        Topics: [topic],
        SelfManagedEventSource: { Endpoints: { KafkaBootstrapServers: ['kafka:9092'] } },
        SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: mergeConsumerGroupId(topic) },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: consumer.batchSize,
        MaximumBatchingWindowInSeconds: consumer.maxBatchingWindowSeconds,
        MaximumRetryAttempts: consumer.maximumRetryAttempts,
        MaximumRecordAgeInSeconds: consumer.maximumRecordAgeSeconds,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: `kafka://${topics.dlq}` } },
        MetricsConfig: { Metrics: ['EventCount'] },
      });
    }
    local.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
  });

  it('keeps the tables, bucket, schedules, dashboard and alarms, and lets data go on delete', () => {
    local.template.resourceCountIs('AWS::DynamoDB::Table', 2);
    local.template.resourceCountIs('AWS::Events::Rule', 3);
    local.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    local.template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    for (const table of Object.values(local.template.findResources('AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Delete');
    }
  });

  it('grants no Kafka IAM actions (the broker does not check IAM)', () => {
    const text = JSON.stringify(local.template.findResources('AWS::IAM::Policy'));
    expect(text).not.toContain('kafka-cluster:');
  });
});
