import { Duration, Names } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { CfnEventSourceMapping, IFunction } from 'aws-cdk-lib/aws-lambda';
import { MetricType, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { KafkaDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { PipelineFunctionNetwork } from './pipeline-function';

/** How a Kafka event source mapping feeds a function; values come from `pipeline.mergeConsumer`. */
export interface KafkaSubscription {
  topic: string;
  consumerGroupId: string;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  maximumRetryAttempts: number;
  maximumRecordAgeSeconds: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
  /** Topic on the same cluster that takes records the function gave up on. */
  onFailureTopic: string;
  /** Retry controls and Kafka on-failure destinations need provisioned pollers. */
  pollers: { minimum: number; maximum: number };
}

/**
 * A Kafka event source mapping with the batching and error controls of `subscription`, the same
 * for MSK (`eventSourceArn`) and a self-managed broker (`kafkaBootstrapServers`). Declared with
 * `addEventSourceMapping` (the EventSourceMapping construct): the MSK and self-managed event
 * source L2s attach AWSLambdaMSKExecutionRole, or insist on a SASL secret, and take the same
 * properties. The construct id is the one the MSK L2 gave it, so deployed mappings are kept.
 */
export function kafkaMapping(
  target: IFunction,
  subscription: KafkaSubscription,
  source: { eventSourceArn: string } | { kafkaBootstrapServers: string[] },
): CfnEventSourceMapping {
  const idPrefix = 'eventSourceArn' in source ? Names.nodeUniqueId(target.node) : '';
  const mapping = target.addEventSourceMapping(
    `KafkaEventSource:${idPrefix}${subscription.topic}`,
    {
      ...source,
      kafkaTopic: subscription.topic,
      kafkaConsumerGroupId: subscription.consumerGroupId,
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: subscription.batchSize,
      maxBatchingWindow: Duration.seconds(subscription.maxBatchingWindowSeconds),
      retryAttempts: subscription.maximumRetryAttempts,
      maxRecordAge: Duration.seconds(subscription.maximumRecordAgeSeconds),
      bisectBatchOnError: subscription.bisectBatchOnFunctionError,
      reportBatchItemFailures: subscription.reportBatchItemFailures,
      onFailure: new KafkaDlq(subscription.onFailureTopic),
      supportS3OnFailureDestination: true,
      provisionedPollerConfig: {
        minimumPollers: subscription.pollers.minimum,
        maximumPollers: subscription.pollers.maximum,
      },
      // EventCount: OnFailureDestinationDeliveredEventCount and DroppedEventCount (AWS/Lambda,
      // dimension EventSourceMappingUUID), which the DLQ alarm adds up. They are off by default:
      // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#event-source-mapping-metrics
      metricsConfig: { metrics: [MetricType.EVENT_COUNT] },
    },
  );
  return mapping.node.defaultChild as CfnEventSourceMapping;
}

/**
 * Where the functions find Kafka and how they are allowed in: MSK with IAM access control on
 * AWS, a self-managed broker without authentication on LocalStack.
 */
export interface KafkaConnection {
  /** `KAFKA_*` / `MSK_CLUSTER_ARN` variables of every function that talks to Kafka. */
  readonly environment: Record<string, string>;
  /** Set when the brokers are only reachable from inside a VPC. */
  readonly network?: PipelineFunctionNetwork;
  grantProduce(grantee: IGrantable, topics: readonly string[]): void;
  grantTopicAdmin(grantee: IGrantable, topics: readonly string[]): void;
  subscribe(target: IFunction, subscription: KafkaSubscription): CfnEventSourceMapping;
}
