import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { CfnEventSourceMapping, IFunction } from 'aws-cdk-lib/aws-lambda';
import { ManagedKafkaEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { KafkaArns } from './kafka-arns';
import type { KafkaConnection, KafkaSubscription } from './kafka-connection';
import { mappingControls } from './kafka-connection';
import { acknowledgeNag } from './nag';
import type { PipelineFunctionNetwork } from './pipeline-function';

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
    const source = new ManagedKafkaEventSource({
      clusterArn: this.arns.clusterArn,
      topic: subscription.topic,
      consumerGroupId: subscription.consumerGroupId,
      ...mappingControls(subscription),
    });
    target.addEventSource(source);

    // The pollers read as the function's role: consume the topic, commit the group's offsets,
    // and write given-up records to the on-failure topic.
    this.grantClusterAccess(target, ['kafka-cluster:DescribeClusterDynamicConfiguration']);
    target.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        resources: [this.arns.topic(subscription.topic)],
      }),
    );
    target.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resources: [this.arns.group(subscription.consumerGroupId)],
      }),
    );
    this.grantProduce(target, [subscription.onFailureTopic]);
    if (target.role) {
      acknowledgeNag(target.role, [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'ManagedKafkaEventSource attaches AWSLambdaMSKExecutionRole: the event source mapping creates network interfaces in the cluster subnets and describes the VPC, actions without resource-level permissions. Topic and group access is granted inline on exact ARNs.',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole',
          ],
        },
      ]);
    }
    return this.mappingOf(target, subscription.topic);
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

  private mappingOf(target: IFunction, topic: string): CfnEventSourceMapping {
    const mapping = target.node.children.find(
      (child) => child.node.id.startsWith('KafkaEventSource:') && child.node.id.endsWith(topic),
    );
    const cfn = mapping?.node.defaultChild;
    if (!cfn) throw new Error(`no event source mapping for ${topic} on ${target.node.path}`);
    return cfn as CfnEventSourceMapping;
  }
}
