import { Duration, Names } from 'aws-cdk-lib';
import type { IGrantable, IRole } from 'aws-cdk-lib/aws-iam';
import type { CfnEventSourceMapping, IFunction } from 'aws-cdk-lib/aws-lambda';
import { MetricType, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { KafkaDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { TopicName } from '../../lambdas/shared/pipeline';
import {
  mergeConsumerGroupId,
  pipeline,
  replayGroupId,
  topics,
} from '../../lambdas/shared/pipeline';
import type { PipelineFunctionNetwork } from './pipeline-function';

/**
 * Where the functions find Kafka and how they are allowed in: MSK with IAM access control on
 * AWS (msk.ts), a self-managed broker without authentication on LocalStack.
 */
export interface KafkaConnection {
  /** `KAFKA_*` / `MSK_CLUSTER_ARN` variables of every function that talks to Kafka. */
  environment: Record<string, string>;
  /** Set when the brokers are only reachable from inside a VPC. */
  network?: PipelineFunctionNetwork;
  /** The event source of a mapping: the MSK cluster, or the self-managed brokers. */
  source: { eventSourceArn: string } | { kafkaBootstrapServers: string[] };
  grantProduce(grantee: IGrantable, topics: readonly string[]): void;
  grantTopicAdmin(grantee: IGrantable, topics: readonly string[]): void;
  /** Read the topics and commit the groups' offsets. */
  grantRead(grantee: IGrantable, topics: readonly string[], groups: readonly string[]): void;
  /** What a mapping's pollers do as the function's role: read the topic, commit the groups. */
  grantConsume(role: IRole, topic: string, groups: string[], onFailureTopic: string): void;
}

/** The compose `kafka` service next to LocalStack: it does not check IAM, so nothing to grant. */
export function selfManagedKafka(bootstrapServers: string): KafkaConnection {
  const nothing = () => undefined;
  return {
    environment: { KAFKA_BROKERS: bootstrapServers, KAFKA_AUTH: 'none', KAFKA_TLS: 'false' },
    source: { kafkaBootstrapServers: bootstrapServers.split(',').map((server) => server.trim()) },
    grantProduce: nothing,
    grantTopicAdmin: nothing,
    grantRead: nothing,
    grantConsume: nothing,
  };
}

/** The group of `npm run replay`'s second mapping of a topic (docs/runbook.md, "Replay"). */
export const replayGroup = ({ topic }: { topic: string }): string =>
  replayGroupId(mergeConsumerGroupId(topic));

/**
 * A Kafka event source mapping of `topic` with `pipeline.mergeConsumer`'s controls, for MSK and a
 * self-managed broker alike: `addEventSourceMapping`, since the event source L2s attach
 * AWSLambdaMSKExecutionRole or insist on a SASL secret. The MSK L2's construct id keeps deployed mappings.
 */
export function subscribe(
  connection: KafkaConnection,
  target: IFunction,
  topic: string,
): CfnEventSourceMapping {
  const consumer = pipeline.mergeConsumer;
  const consumerGroupId = mergeConsumerGroupId(topic);
  if (!target.role) throw new Error(`${target.node.path} has no role for its Kafka mapping`);
  connection.grantConsume(
    target.role,
    topic,
    [consumerGroupId, replayGroup({ topic })],
    topics.dlq,
  );
  const idPrefix = 'eventSourceArn' in connection.source ? Names.nodeUniqueId(target.node) : '';
  const mapping = target.addEventSourceMapping(`KafkaEventSource:${idPrefix}${topic}`, {
    ...connection.source,
    kafkaTopic: topic,
    kafkaConsumerGroupId: consumerGroupId,
    startingPosition: StartingPosition.TRIM_HORIZON,
    batchSize: consumer.batchSize,
    maxBatchingWindow: Duration.seconds(consumer.maxBatchingWindowSeconds),
    retryAttempts: consumer.maximumRetryAttempts,
    maxRecordAge: Duration.seconds(consumer.maximumRecordAgeSeconds),
    bisectBatchOnError: consumer.bisectBatchOnFunctionError,
    reportBatchItemFailures: consumer.reportBatchItemFailures,
    onFailure: new KafkaDlq(topics.dlq),
    supportS3OnFailureDestination: true,
    // Retry controls and Kafka on-failure destinations need provisioned pollers. One poller reads
    // at least one partition; more pollers than partitions would idle.
    provisionedPollerConfig: {
      minimumPollers: 1,
      maximumPollers: pipeline.topics[topic as TopicName].partitions,
    },
    // OnFailureDestinationDeliveredEventCount, DroppedEventCount (the DLQ alarm); off by default:
    // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#event-source-mapping-metrics
    metricsConfig: { metrics: [MetricType.EVENT_COUNT] },
  });
  return mapping.node.defaultChild as CfnEventSourceMapping;
}
