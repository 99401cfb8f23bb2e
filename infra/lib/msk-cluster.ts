import { RemovalPolicy } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { CfnCluster, CfnServerlessCluster } from 'aws-cdk-lib/aws-msk';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface MskClusterProps {
  clusterName: string;
  mode: 'serverless' | 'provisioned';
  vpc: IVpc;
  subnets: SubnetSelection;
  securityGroup: ISecurityGroup;
  /** provisioned only */
  brokerInstanceType: string;
  kafkaVersion: string;
  logRetention: RetentionDays;
}

/**
 * The Kafka cluster, IAM access control only. Serverless by default (no brokers to size or
 * patch); `-c mskMode=provisioned` builds a provisioned cluster with one broker per private
 * subnet, TLS everywhere and broker logs in CloudWatch.
 */
export class MskCluster extends Construct {
  readonly clusterArn: string;

  constructor(scope: Construct, id: string, props: MskClusterProps) {
    super(scope, id);
    const subnetIds = props.vpc.selectSubnets(props.subnets).subnetIds;

    if (props.mode === 'serverless') {
      const cluster = new CfnServerlessCluster(this, 'Serverless', {
        clusterName: props.clusterName,
        clientAuthentication: { sasl: { iam: { enabled: true } } },
        vpcConfigs: [{ subnetIds, securityGroups: [props.securityGroup.securityGroupId] }],
      });
      this.clusterArn = cluster.attrArn;
      return;
    }

    const brokerLogs = new LogGroup(this, 'BrokerLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const cluster = new CfnCluster(this, 'Provisioned', {
      clusterName: props.clusterName,
      kafkaVersion: props.kafkaVersion,
      numberOfBrokerNodes: subnetIds.length,
      brokerNodeGroupInfo: {
        instanceType: props.brokerInstanceType,
        clientSubnets: subnetIds,
        securityGroups: [props.securityGroup.securityGroupId],
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
    });
    this.clusterArn = cluster.attrArn;
  }
}
