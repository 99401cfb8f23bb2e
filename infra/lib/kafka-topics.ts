import { CustomResource } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeNag, logicalIdOf } from './nag';
import { fileURLToPath } from 'node:url';
import type { KafkaConnection } from './kafka';
import { PipelineFunction, stackLogGroup } from './pipeline-function';
import type { TopicSpec } from './topics-handler/ensure-topics';

export interface KafkaTopicsProps {
  connection: KafkaConnection;
  topics: readonly TopicSpec[];
  logLevel: string;
  logRetention: RetentionDays;
}

export const topicsHandlerEntry = fileURLToPath(
  new URL('topics-handler/index.ts', import.meta.url),
);

/**
 * The topics, through a Lambda-backed custom resource: CloudFormation has no topic resource for
 * MSK Serverless, and the brokers are only reachable from inside the VPC.
 */
export class KafkaTopics extends Construct {
  constructor(scope: Construct, id: string, props: KafkaTopicsProps) {
    super(scope, id);
    const onEvent = new PipelineFunction(this, 'OnEvent', {
      name: 'kafka-topics',
      entry: topicsHandlerEntry,
      description: 'Creates the ecom-sync Kafka topics (CloudFormation custom resource)',
      tunables: { memoryMb: 256, timeoutSeconds: 120 },
      environment: { ...props.connection.environment, KAFKA_CLIENT_ID: 'ecom-sync-topics' },
      logLevel: props.logLevel,
      logRetention: props.logRetention,
      network: props.connection.network,
    });
    props.connection.grantTopicAdmin(
      onEvent.role,
      props.topics.map((topic) => topic.name),
    );

    const logGroup = stackLogGroup(this, 'ProviderLogs', props.logRetention);
    // A role that writes its own log group only, instead of the default AWSLambdaBasicExecutionRole
    // (logs on every log group of the account).
    const frameworkOnEventRole = new Role(this, 'ProviderRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    });
    logGroup.grantWrite(frameworkOnEventRole);
    const provider = new Provider(this, 'Provider', {
      onEventHandler: onEvent.function,
      logGroup,
      frameworkOnEventRole,
    });
    acknowledgeNag(this, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'The provider framework may invoke any version of exactly the topics onEvent function (`<function ARN>:*`).',
        appliesTo: [`Resource::<${logicalIdOf(onEvent.function)}.Arn>:*`],
      },
      { id: 'AwsSolutions-L1', reason: 'aws-cdk-lib chooses the provider framework runtime.' },
    ]);

    new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::KafkaTopics',
      properties: { Topics: props.topics },
    });
  }
}
