import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { CfnEventSourceMapping, IFunction } from 'aws-cdk-lib/aws-lambda';
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
