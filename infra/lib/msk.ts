import { Aws, CfnOutput, Fn } from 'aws-cdk-lib';
import type { Stack } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  IpAddresses,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { CfnCluster, CfnServerlessCluster } from 'aws-cdk-lib/aws-msk';
import { Construct } from 'constructs';
import type { InfraContext } from './infra-context';
import type { KafkaConnection } from './kafka';
import { allow, grantDescribe, stackLogGroup } from './pipeline-function';

/** MSK IAM-authenticated listener. */
const MSK_IAM_PORT = 9098;

/**
 * Target aws: a VPC whose private subnets hold MSK (IAM access control only; Serverless unless
 * `-c mskMode=provisioned`) and the functions. S3 and DynamoDB through free gateway endpoints; no
 * interface endpoints (~$7 per endpoint per AZ per month each), as the NAT the APIs need does it.
 */
export function mskKafka(stack: Stack, context: InfraContext): KafkaConnection {
  const network = new Construct(stack, 'Network');
  const subnets = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };
  const vpc = new Vpc(network, 'Vpc', {
    ipAddresses: IpAddresses.cidr('10.40.0.0/16'),
    maxAzs: 3,
    natGateways: context.natGateways,
    subnetConfiguration: [
      { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
    ],
    gatewayEndpoints: {
      S3: { service: GatewayVpcEndpointAwsService.S3 },
      DynamoDB: { service: GatewayVpcEndpointAwsService.DYNAMODB },
    },
  });
  vpc.addFlowLog('FlowLog', {
    destination: FlowLogDestination.toCloudWatchLogs(
      stackLogGroup(network, 'FlowLogs', context.logRetentionDays),
    ),
    trafficType: FlowLogTrafficType.REJECT,
  });
  // Every function that talks to Kafka is in the first; the cluster in the second, which admits
  // them on the IAM listener only.
  const functionGroup = new SecurityGroup(network, 'FunctionSecurityGroup', {
    vpc,
    description: 'ecom-sync functions',
    allowAllOutbound: true,
  });
  const kafkaGroup = new SecurityGroup(network, 'KafkaSecurityGroup', {
    vpc,
    description: 'ecom-sync MSK cluster',
    // The event source mapping's pollers sit in this group and call Lambda and STS on 443.
    allowAllOutbound: true,
  });
  for (const [peer, description] of [
    [functionGroup, 'functions and the event source mapping pollers (IAM auth)'],
    [kafkaGroup, 'event source mapping pollers in the cluster security group'],
  ] as const)
    kafkaGroup.addIngressRule(peer, Port.tcp(MSK_IAM_PORT), description);

  const kafka = new Construct(stack, 'Kafka');
  const clusterName = `${stack.stackName.toLowerCase()}-kafka`;
  const subnetIds = vpc.selectSubnets(subnets).subnetIds;
  const securityGroups = [kafkaGroup.securityGroupId];
  let clusterArn: string;
  if (context.mskMode === 'serverless') {
    clusterArn = new CfnServerlessCluster(kafka, 'Serverless', {
      clusterName,
      clientAuthentication: { sasl: { iam: { enabled: true } } },
      vpcConfigs: [{ subnetIds, securityGroups }],
    }).attrArn;
  } else {
    const brokerLogs = stackLogGroup(kafka, 'BrokerLogs', context.logRetentionDays);
    clusterArn = new CfnCluster(kafka, 'Provisioned', {
      clusterName,
      kafkaVersion: context.mskKafkaVersion,
      numberOfBrokerNodes: subnetIds.length,
      brokerNodeGroupInfo: {
        instanceType: context.mskBrokerInstanceType,
        clientSubnets: subnetIds,
        securityGroups,
        storageInfo: { ebsStorageInfo: { volumeSize: 100 } },
      },
      clientAuthentication: {
        sasl: { iam: { enabled: true } },
        unauthenticated: { enabled: false },
      },
      encryptionInfo: { encryptionInTransit: { clientBroker: 'TLS', inCluster: true } },
      loggingInfo: {
        brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } },
      },
    }).attrArn;
  }
  new CfnOutput(stack, 'MskClusterArn', { value: clusterArn });
  return mskConnection(clusterArn, { vpc, subnets, securityGroups: [functionGroup, kafkaGroup] });
}

/** Grants on the cluster, its topics and groups (MSK IAM access control), from inside the VPC. */
function mskConnection(clusterArn: string, network: KafkaConnection['network']): KafkaConnection {
  // MSK topic and group ARNs are `…:topic/<clusterName>/<clusterUuid>/<topic>`; name and UUID are
  // cut out of the cluster ARN (`…:cluster/<clusterName>/<clusterUuid>`, known at deploy time).
  const parts = Fn.split('/', clusterArn, 3);
  const arns = (kind: 'topic' | 'group', names: readonly string[]) =>
    names.map(
      (name) =>
        `arn:${Aws.PARTITION}:kafka:${Aws.REGION}:${Aws.ACCOUNT_ID}:${kind}/${Fn.select(1, parts)}/${Fn.select(2, parts)}/${name}`,
    );
  const allowOn = (
    grantee: IGrantable,
    kind: 'topic' | 'group',
    names: readonly string[],
    actions: string[],
  ) => allow(grantee, actions, arns(kind, names));
  /** Connect + broker discovery, on the cluster ARN only; `extra` actions are cluster-level too. */
  const cluster = (grantee: IGrantable, ...extra: string[]) =>
    allow(
      grantee,
      ['kafka-cluster:Connect', 'kafka:GetBootstrapBrokers', 'kafka:DescribeClusterV2', ...extra],
      [clusterArn],
    );
  const grantProduce = (grantee: IGrantable, topics: readonly string[]) => {
    cluster(grantee, 'kafka-cluster:WriteDataIdempotently');
    allowOn(grantee, 'topic', topics, ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData']);
  };
  const grantRead = (grantee: IGrantable, topics: readonly string[], groups: readonly string[]) => {
    cluster(grantee);
    allowOn(grantee, 'topic', topics, ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData']);
    allowOn(grantee, 'group', groups, ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup']);
  };
  return {
    environment: { MSK_CLUSTER_ARN: clusterArn, KAFKA_AUTH: 'iam', KAFKA_TLS: 'true' },
    ...(network && { network }),
    source: { eventSourceArn: clusterArn },
    grantProduce,
    grantRead,
    grantTopicAdmin: (grantee, topics) => {
      cluster(grantee);
      const actions = [
        'kafka-cluster:CreateTopic',
        'kafka-cluster:DescribeTopic',
        'kafka-cluster:AlterTopic',
        'kafka-cluster:DescribeTopicDynamicConfiguration',
        'kafka-cluster:AlterTopicDynamicConfiguration',
      ];
      allow(grantee, actions, arns('topic', topics));
    },
    // The pollers act as the function's role (inline, not AWSLambdaMSKExecutionRole's `*`;
    // https://docs.aws.amazon.com/lambda/latest/dg/with-msk-permissions.html): find the brokers,
    // consume the topic, commit the group and write given-up records to the on-failure topic.
    grantConsume: (role, topic, groups, onFailureTopic) => {
      cluster(role, 'kafka-cluster:DescribeClusterDynamicConfiguration');
      grantDescribe(role, ['ec2:DescribeVpcs', 'ec2:DescribeSecurityGroups']);
      grantRead(role, [topic], groups);
      grantProduce(role, [onFailureTopic]);
    },
  };
}
