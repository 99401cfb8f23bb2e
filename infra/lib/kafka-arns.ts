import { Aws, Fn } from 'aws-cdk-lib';

/**
 * MSK IAM access control names topics and groups by ARNs built from the cluster's name and UUID:
 * `arn:<partition>:kafka:<region>:<account>:topic/<clusterName>/<clusterUuid>/<topic>`.
 * The cluster ARN (`.../cluster/<clusterName>/<clusterUuid>`) is only known at deploy time, so
 * name and UUID are cut out of it with Fn::Split / Fn::Select.
 */
export class KafkaArns {
  private readonly clusterName: string;
  private readonly clusterUuid: string;

  constructor(readonly clusterArn: string) {
    const parts = Fn.split('/', clusterArn, 3);
    this.clusterName = Fn.select(1, parts);
    this.clusterUuid = Fn.select(2, parts);
  }

  topic(name: string): string {
    return this.resource('topic', name);
  }

  group(name: string): string {
    return this.resource('group', name);
  }

  private resource(kind: 'topic' | 'group', name: string): string {
    return `arn:${Aws.PARTITION}:kafka:${Aws.REGION}:${Aws.ACCOUNT_ID}:${kind}/${this.clusterName}/${this.clusterUuid}/${name}`;
  }
}
