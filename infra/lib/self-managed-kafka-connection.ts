import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { CfnEventSourceMapping, IFunction } from 'aws-cdk-lib/aws-lambda';
import { EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import type { KafkaConnection, KafkaSubscription } from './kafka-connection';
import { mappingControls } from './kafka-connection';

/**
 * A self-managed Kafka broker without authentication (the compose `kafka` service next to
 * LocalStack). Nothing to grant: the broker does not check IAM.
 */
export class SelfManagedKafkaConnection implements KafkaConnection {
  readonly environment: Record<string, string>;
  readonly network = undefined;

  constructor(private readonly bootstrapServers: string) {
    this.environment = { KAFKA_BROKERS: bootstrapServers, KAFKA_AUTH: 'none', KAFKA_TLS: 'false' };
  }

  grantProduce(_grantee: IGrantable, _topics: readonly string[]): void {}

  grantTopicAdmin(_grantee: IGrantable, _topics: readonly string[]): void {}

  subscribe(target: IFunction, subscription: KafkaSubscription): CfnEventSourceMapping {
    // The SelfManagedKafkaEventSource L2 insists on a SASL secret (or a VPC) for brokers it
    // considers on the internet; this broker has neither, so the mapping is declared with the
    // EventSourceMapping construct the L2 wraps, which takes the same properties.
    const mapping = new EventSourceMapping(target, `KafkaEventSource:${subscription.topic}`, {
      target,
      kafkaBootstrapServers: this.bootstrapServers.split(',').map((server) => server.trim()),
      kafkaTopic: subscription.topic,
      kafkaConsumerGroupId: subscription.consumerGroupId,
      ...mappingControls(subscription),
      supportS3OnFailureDestination: true,
    });
    return mapping.node.defaultChild as CfnEventSourceMapping;
  }
}
