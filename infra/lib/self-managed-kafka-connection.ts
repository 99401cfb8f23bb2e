import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { CfnEventSourceMapping, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { KafkaConnection, KafkaSubscription } from './kafka-connection';
import { kafkaMapping } from './kafka-connection';

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
    return kafkaMapping(target, subscription, {
      kafkaBootstrapServers: this.bootstrapServers.split(',').map((server) => server.trim()),
    });
  }
}
