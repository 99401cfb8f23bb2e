import { RemovalPolicy } from 'aws-cdk-lib';
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
import type { SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface NetworkProps {
  natGateways: number;
  logRetention: RetentionDays;
}

/** MSK IAM-authenticated listener. */
export const MSK_IAM_PORT = 9098;

/**
 * A VPC whose private subnets hold MSK and the functions. S3 and DynamoDB are reached through
 * gateway endpoints (free, and staging traffic stays off the NAT); the pollers and flush still
 * need the NAT for the source and Analytics APIs. Interface endpoints (CloudWatch, SSM, STS,
 * Kafka control plane) would cost about $7 per endpoint per AZ per month each and replace
 * nothing the NAT does not already do, so there are none.
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  readonly privateSubnets: SubnetSelection = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };
  /** Attached to every function that talks to Kafka. */
  readonly functionSecurityGroup: SecurityGroup;
  /** Attached to the MSK cluster; admits the functions on the IAM listener only. */
  readonly kafkaSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);

    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: 3,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      gatewayEndpoints: {
        S3: { service: GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: FlowLogDestination.toCloudWatchLogs(
        new LogGroup(this, 'FlowLogs', {
          retention: props.logRetention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ),
      trafficType: FlowLogTrafficType.REJECT,
    });

    this.functionSecurityGroup = new SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'ecom-sync functions',
      allowAllOutbound: true,
    });
    this.kafkaSecurityGroup = new SecurityGroup(this, 'KafkaSecurityGroup', {
      vpc: this.vpc,
      description: 'ecom-sync MSK cluster',
      // The event source mapping's pollers sit in this group and call Lambda and STS on 443.
      allowAllOutbound: true,
    });
    this.kafkaSecurityGroup.addIngressRule(
      this.functionSecurityGroup,
      Port.tcp(MSK_IAM_PORT),
      'functions and the event source mapping pollers (IAM auth)',
    );
    // The event source mapping's pollers use the cluster's own security group.
    this.kafkaSecurityGroup.addIngressRule(
      this.kafkaSecurityGroup,
      Port.tcp(MSK_IAM_PORT),
      'event source mapping pollers in the cluster security group',
    );
  }
}
