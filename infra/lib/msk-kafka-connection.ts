import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { CfnEventSourceMapping, IFunction } from 'aws-cdk-lib/aws-lambda';
import { KafkaArns } from './kafka-arns';
import type { KafkaConnection, KafkaSubscription } from './kafka-connection';
import { kafkaMapping } from './kafka-connection';
import type { PipelineFunctionNetwork } from './pipeline-function';
import { grantDescribe } from './pipeline-function';

/** MSK (Serverless or provisioned) with IAM access control, reached from inside the VPC. */
export class MskKafkaConnection implements KafkaConnection {
  readonly environment: Record<string, string>;
  private readonly arns: KafkaArns;

  constructor(
    clusterArn: string,
    readonly network: PipelineFunctionNetwork,
  ) {
    this.arns = new KafkaArns(clusterArn);
    this.environment = { MSK_CLUSTER_ARN: clusterArn, KAFKA_AUTH: 'iam', KAFKA_TLS: 'true' };
  }

  grantProduce(grantee: IGrantable, topics: readonly string[]): void {
    this.grantClusterAccess(grantee, ['kafka-cluster:WriteDataIdempotently']);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
        resources: topics.map((topic) => this.arns.topic(topic)),
      }),
    );
  }

  grantTopicAdmin(grantee: IGrantable, topics: readonly string[]): void {
    this.grantClusterAccess(grantee, []);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'kafka-cluster:CreateTopic',
          'kafka-cluster:DescribeTopic',
          'kafka-cluster:AlterTopic',
          'kafka-cluster:DescribeTopicDynamicConfiguration',
          'kafka-cluster:AlterTopicDynamicConfiguration',
        ],
        resources: topics.map((topic) => this.arns.topic(topic)),
      }),
    );
  }

  subscribe(target: IFunction, subscription: KafkaSubscription): CfnEventSourceMapping {
    const role = target.role;
    if (!role) throw new Error(`${target.node.path} has no role for its MSK mapping`);
    // The pollers act as the function's role (inline, instead of AWSLambdaMSKExecutionRole's
    // logs and Describe actions on `*`; https://docs.aws.amazon.com/lambda/latest/dg/with-msk-permissions.html):
    // find the brokers, reach them from the cluster's subnets (the function's network interface
    // grants cover those, pipeline-function.ts), consume the topic, commit the group's offsets
    // and write given-up records to the on-failure topic.
    this.grantClusterAccess(role, ['kafka-cluster:DescribeClusterDynamicConfiguration']);
    grantDescribe(role, ['ec2:DescribeVpcs', 'ec2:DescribeSecurityGroups']);
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        resources: [this.arns.topic(subscription.topic)],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resources: [this.arns.group(subscription.consumerGroupId)],
      }),
    );
    this.grantProduce(role, [subscription.onFailureTopic]);
    return kafkaMapping(target, subscription, { eventSourceArn: this.arns.clusterArn });
  }

  /** Connect + broker discovery, on the cluster ARN only; `extraActions` are cluster-level too. */
  private grantClusterAccess(grantee: IGrantable, extraActions: string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'kafka-cluster:Connect',
          'kafka:GetBootstrapBrokers',
          'kafka:DescribeClusterV2',
          ...extraActions,
        ],
        resources: [this.arns.clusterArn],
      }),
    );
  }
}
