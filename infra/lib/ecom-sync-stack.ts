import { CfnOutput, Fn, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnEventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import type {
  ApiAccess,
  PipelineFunctionKey,
  PipelineResources,
} from '../../lambdas/shared/functions';
import { functionEnvironment, pipelineFunctions } from '../../lambdas/shared/functions';
import type { TopicName } from '../../lambdas/shared/pipeline';
import {
  functionNames,
  mergeConsumerGroupId,
  pipeline,
  sources,
  staging,
  topics,
} from '../../lambdas/shared/pipeline';
import { grantApiTokenRead } from './api-token-access';
import { projectRoot } from './bundling';
import type { InfraContext } from './infra-context';
import type { KafkaConnection } from './kafka-connection';
import { KafkaTopics } from './kafka-topics';
import { Monitoring } from './monitoring';
import { MskCluster } from './msk-cluster';
import { MskKafkaConnection } from './msk-kafka-connection';
import { acknowledgeNag, logicalIdOf } from './nag';
import { Network } from './network';
import { PipelineFunction } from './pipeline-function';
import { Schedules } from './schedules';
import { SelfManagedKafkaConnection } from './self-managed-kafka-connection';
import { Storage } from './storage';

export interface EcomSyncStackProps extends StackProps {
  context: InfraContext;
}

/**
 * mock-apis is a test double, not part of the pipeline definition: small and single-instance
 * (reserved concurrency 1) so that its in-memory data set and fault settings are one state.
 */
const MOCK_APIS = { memoryMb: 512, timeoutSeconds: 30, reservedConcurrency: 1 } as const;

/** The whole pipeline: one stack, target `aws` (VPC + MSK) or `localstack` (self-managed Kafka). */
export class EcomSyncStack extends Stack {
  readonly functions: Record<PipelineFunctionKey, PipelineFunction>;
  readonly mockApis?: PipelineFunction;
  readonly storage: Storage;
  readonly monitoring: Monitoring;
  readonly mergeConsumerMappings: CfnEventSourceMapping[];

  constructor(scope: Construct, id: string, props: EcomSyncStackProps) {
    super(scope, id, props);
    const context = props.context;
    const logRetention = toRetentionDays(context.logRetentionDays);
    const retainData = context.retainData ?? context.target === 'aws';

    this.storage = new Storage(this, 'Storage', {
      deliveredExpiryDays: context.deliveredExpiryDays,
      dlqExpiryDays: context.dlqExpiryDays,
      retainData,
    });
    const connection = this.kafkaConnection(context, logRetention);
    const common = { logLevel: context.logLevel, logRetention };
    const kafkaTopics = new KafkaTopics(this, 'KafkaTopics', {
      ...common,
      connection,
      topics: Object.entries(pipeline.topics).map(([name, topic]) => ({
        name,
        partitions: topic.partitions,
        retentionMs: topic.retentionHours * 3_600_000,
      })),
    });

    // --- the APIs: real ones from context, or the mocks behind an IAM-authenticated URL --------
    let mockApiBaseUrl = '';
    if (!context.sourceApiUrl || !context.analyticsApiUrl) {
      this.mockApis = new PipelineFunction(this, 'MockApis', {
        ...common,
        name: functionNames.mockApis,
        entry: join(projectRoot, 'lambdas', functionNames.mockApis, 'handler.ts'),
        description: 'Mock CRM, Inventory and Analytics APIs (test double)',
        tunables: MOCK_APIS,
        environment: {},
      });
      const url = this.mockApis.function.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
      // `<scheme>//<host>/`: drop the trailing '/', the handlers append paths that start with one.
      // (The scheme is kept: LocalStack serves Function URLs over plain http.)
      const urlParts = Fn.split('/', url.url);
      mockApiBaseUrl = `${Fn.select(0, urlParts)}//${Fn.select(2, urlParts)}`;
      new CfnOutput(this, 'MockApisUrl', { value: mockApiBaseUrl });
    }
    // Calls to the mock-apis Function URL are SigV4-signed (API_AUTH=iam); real endpoints from
    // context take the optional bearer token instead (SigV4 needs the Authorization header).
    const api = (realUrl: string | undefined): ApiAccess =>
      realUrl === undefined
        ? { baseUrl: mockApiBaseUrl, auth: 'iam' }
        : { baseUrl: realUrl, auth: 'none', tokenParameter: context.apiTokenParameter };
    const { syncStateTable, idempotencyTable, stagingBucket } = this.storage;
    const resources: PipelineResources = {
      customerTopic: topics.customers,
      productTopic: topics.products,
      dlqTopic: topics.dlq,
      idempotencyTable: idempotencyTable.tableName,
      syncStateTable: syncStateTable.tableName,
      stagingBucket: stagingBucket.bucketName,
      sourceApi: api(context.sourceApiUrl),
      analyticsApi: api(context.analyticsApiUrl),
    };

    // --- functions, from the registry --------------------------------------------------------
    const functions = Object.entries(pipelineFunctions).map(([key, spec]) => {
      const fn = new PipelineFunction(this, pascal(spec.name), {
        ...common,
        ...spec,
        environment: { ...connection.environment, ...functionEnvironment(spec, resources) },
        network: connection.network,
      });
      new CfnOutput(this, `${pascal(spec.name)}FunctionName`, { value: fn.function.functionName });
      return [key, fn] as const;
    });
    this.functions = Object.fromEntries(functions) as Record<PipelineFunctionKey, PipelineFunction>;
    const { pollCrm, pollInventory, mergeConsumer, flush } = this.functions;

    // --- least-privilege grants --------------------------------------------------------------
    const itemActions = (...actions: string[]) => actions.map((action) => `dynamodb:${action}`);
    for (const fn of [pollCrm, pollInventory]) {
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: itemActions('GetItem', 'PutItem', 'UpdateItem'),
          resources: [syncStateTable.tableArn],
        }),
      );
    }
    connection.grantProduce(pollCrm.role, [sources.crm.topic, topics.dlq]);
    connection.grantProduce(pollInventory.role, [sources.inventory.topic, topics.dlq]);

    // Claims are never deleted (a failed attempt's claim is taken over), so no DeleteItem.
    mergeConsumer.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: itemActions('GetItem', 'PutItem', 'UpdateItem'),
        resources: [idempotencyTable.tableArn],
      }),
    );
    grantObjects(mergeConsumer, stagingBucket, [staging.prefixes.staging], ['Get', 'Put']);
    // Read-only: a claim's batch may have been moved by flush (delivered/, dlq/) before a retry.
    grantObjects(
      mergeConsumer,
      stagingBucket,
      [staging.prefixes.delivered, staging.prefixes.dlq],
      ['Get'],
    );
    connection.grantProduce(mergeConsumer.role, [topics.dlq]);

    flush.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: itemActions('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
        resources: [syncStateTable.tableArn],
      }),
    );
    grantObjects(flush, stagingBucket, Object.values(staging.prefixes), ['Get', 'Put', 'Delete']);
    connection.grantProduce(flush.role, [topics.dlq]);

    if (this.mockApis) {
      // Only the callers that the mocks stand in for (API_AUTH=iam) invoke the Function URL.
      const mockCallers = [
        ...(context.sourceApiUrl ? [] : [pollCrm, pollInventory]),
        ...(context.analyticsApiUrl ? [] : [flush]),
      ];
      for (const caller of mockCallers) {
        this.mockApis.function.grantInvokeUrl(caller.role);
      }
    }
    const tokenReaders = [
      ...(context.sourceApiUrl ? [pollCrm.role, pollInventory.role] : []),
      ...(context.analyticsApiUrl ? [flush.role] : []),
    ];
    if (context.apiTokenParameter && tokenReaders.length > 0) {
      grantApiTokenRead(this, context.apiTokenParameter, tokenReaders);
    }

    // --- triggers: schedules and Kafka mappings, from the registry -------------------------
    const schedules = new Schedules(this, 'Schedules', {
      targets: Object.entries(pipelineFunctions).flatMap(([key, spec]) =>
        'rateMinutes' in spec.trigger
          ? [
              {
                name: spec.name,
                function: this.functions[key as PipelineFunctionKey].function,
                rateMinutes: spec.trigger.rateMinutes,
              },
            ]
          : [],
      ),
    });
    schedules.node.addDependency(kafkaTopics);

    const consumer = pipeline.mergeConsumer;
    this.mergeConsumerMappings = pipelineFunctions.mergeConsumer.trigger
      .topics(resources)
      .map((topic) => {
        const mapping = connection.subscribe(mergeConsumer.function, {
          topic,
          consumerGroupId: mergeConsumerGroupId(topic),
          batchSize: consumer.batchSize,
          maxBatchingWindowSeconds: consumer.maxBatchingWindowSeconds,
          maximumRetryAttempts: consumer.maximumRetryAttempts,
          maximumRecordAgeSeconds: consumer.maximumRecordAgeSeconds,
          bisectBatchOnFunctionError: consumer.bisectBatchOnFunctionError,
          reportBatchItemFailures: consumer.reportBatchItemFailures,
          onFailureTopic: topics.dlq,
          // One poller reads at least one partition; more pollers than partitions would idle.
          pollers: { minimum: 1, maximum: pipeline.topics[topic as TopicName].partitions },
        });
        mapping.node.addDependency(kafkaTopics);
        return mapping;
      });

    // --- observability and outputs -----------------------------------------------------------
    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: [...Object.values(this.functions), ...(this.mockApis ? [this.mockApis] : [])],
      mergeConsumer: mergeConsumer.function,
      mappingIds: this.mergeConsumerMappings.map((mapping) => mapping.ref),
      dashboardName: `${this.stackName}-pipeline`,
      oldestStagedBatchAlarmSeconds: context.oldestStagedBatchAlarmSeconds,
      alarmEmail: context.alarmEmail,
    });
    if (this.mockApis) {
      new CfnOutput(this, 'MockApisFunctionName', { value: this.mockApis.function.functionName });
    }
    new CfnOutput(this, 'StagingBucketName', { value: stagingBucket.bucketName });
    new CfnOutput(this, 'SyncStateTableName', { value: syncStateTable.tableName });
    new CfnOutput(this, 'IdempotencyTableName', { value: idempotencyTable.tableName });
    new CfnOutput(this, 'DashboardUrl', { value: this.monitoring.dashboardUrl() });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.alarmTopic.topicArn });
  }

  private kafkaConnection(context: InfraContext, logRetention: RetentionDays): KafkaConnection {
    if (context.target === 'localstack')
      return new SelfManagedKafkaConnection(context.kafkaBootstrap);

    const network = new Network(this, 'Network', {
      natGateways: context.natGateways,
      logRetention,
    });
    const cluster = new MskCluster(this, 'Kafka', {
      clusterName: `${this.stackName.toLowerCase()}-kafka`,
      mode: context.mskMode,
      vpc: network.vpc,
      subnets: network.privateSubnets,
      securityGroup: network.kafkaSecurityGroup,
      brokerInstanceType: context.mskBrokerInstanceType,
      kafkaVersion: context.mskKafkaVersion,
      logRetention,
    });
    new CfnOutput(this, 'MskClusterArn', { value: cluster.clusterArn });
    return new MskKafkaConnection(cluster.clusterArn, {
      vpc: network.vpc,
      subnets: network.privateSubnets,
      securityGroups: [network.functionSecurityGroup, network.kafkaSecurityGroup],
    });
  }
}

// Re-exported: the infra tests name the groups the stack synthesizes with it.
export { mergeConsumerGroupId };

function grantObjects(
  fn: PipelineFunction,
  bucket: Bucket,
  prefixes: readonly string[],
  verbs: readonly ('Get' | 'Put' | 'Delete')[],
): void {
  const bucketArn = bucket.bucketArn;
  fn.role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: verbs.map((verb) => `s3:${verb}Object`),
      resources: prefixes.map((prefix) => `${bucketArn}/${prefix}*`),
    }),
  );
  acknowledgeNag(fn.role, [
    {
      id: 'AwsSolutions-IAM5',
      reason:
        'Object keys under a prefix are generated per batch (staging/YYYY/MM/DD/<batchId>.json); the wildcard covers exactly the prefixes this function owns.',
      appliesTo: prefixes.map((prefix) => `Resource::<${logicalIdOf(bucket)}.Arn>/${prefix}*`),
    },
  ]);
  // ListBucket on the prefixes only: without it a missing object answers 403 instead of 404.
  fn.role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucketArn],
      conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
    }),
  );
}

function toRetentionDays(days: number): RetentionDays {
  const allowed = Object.values(RetentionDays).filter(
    (value): value is RetentionDays => typeof value === 'number',
  );
  const retention = allowed.find((value) => value.valueOf() === days);
  if (retention === undefined) {
    throw new Error(`logRetentionDays must be one of ${allowed.join(', ')} (got ${days})`);
  }
  return retention;
}

function pascal(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
