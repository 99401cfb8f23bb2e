import { CfnOutput, Fn, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnEventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import {
  functionNames,
  mergeConsumerGroupId,
  pipeline,
  sources,
  staging,
  topics,
} from '../../lambdas/shared/pipeline';
import { grantApiTokenRead } from './api-token-access';
import { handlerEntry } from './bundling';
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

type PipelineFunctionName = Exclude<
  (typeof functionNames)[keyof typeof functionNames],
  typeof functionNames.mockApis
>;

/** The whole pipeline: one stack, target `aws` (VPC + MSK) or `localstack` (self-managed Kafka). */
export class EcomSyncStack extends Stack {
  readonly functions: Record<PipelineFunctionName, PipelineFunction>;
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

    const powertoolsFor = (service: string) => ({
      serviceName: service,
      metricsNamespace: pipeline.metrics.namespace,
      logLevel: context.logLevel,
    });
    const kafkaTopics = new KafkaTopics(this, 'KafkaTopics', {
      connection,
      topics: Object.entries(pipeline.topics).map(([name, topic]) => ({
        name,
        partitions: topic.partitions,
        retentionMs: topic.retentionHours * 3_600_000,
      })),
      powertools: powertoolsFor('kafka-topics'),
      logRetention,
    });

    // --- the APIs: real ones from context, or the mocks behind an IAM-authenticated URL --------
    let mockApiBaseUrl: string | undefined;
    if (!context.sourceApiUrl || !context.analyticsApiUrl) {
      this.mockApis = new PipelineFunction(this, 'MockApis', {
        name: functionNames.mockApis,
        entry: handlerEntry(functionNames.mockApis),
        description: 'Mock CRM, Inventory and Analytics APIs (test double)',
        memoryMb: MOCK_APIS.memoryMb,
        timeoutSeconds: MOCK_APIS.timeoutSeconds,
        reservedConcurrency: MOCK_APIS.reservedConcurrency,
        environment: {},
        powertools: powertoolsFor(functionNames.mockApis),
        logRetention,
      });
      const url = this.mockApis.function.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
      // `<scheme>//<host>/`: drop the trailing '/', the handlers append paths that start with one.
      // (The scheme is kept: LocalStack serves Function URLs over plain http.)
      const urlParts = Fn.split('/', url.url);
      mockApiBaseUrl = `${Fn.select(0, urlParts)}//${Fn.select(2, urlParts)}`;
      new CfnOutput(this, 'MockApisUrl', { value: mockApiBaseUrl });
    }
    const sourceApiBaseUrl = context.sourceApiUrl ?? mockApiBaseUrl ?? '';
    const analyticsApiBaseUrl = context.analyticsApiUrl ?? mockApiBaseUrl ?? '';
    // Calls to the mock-apis Function URL are SigV4-signed (API_AUTH=iam); real endpoints from
    // context take the optional bearer token instead (SigV4 needs the Authorization header).
    const apiAccess = (realUrl: string | undefined): Record<string, string> =>
      realUrl === undefined
        ? { API_AUTH: 'iam' }
        : {
            API_AUTH: 'none',
            ...(context.apiTokenParameter
              ? { API_TOKEN_PARAMETER: context.apiTokenParameter }
              : {}),
          };

    const common = (name: PipelineFunctionName, extra: Record<string, string>) => ({
      name,
      entry: handlerEntry(name),
      powertools: powertoolsFor(name),
      logRetention,
      network: connection.network,
      environment: {
        ...connection.environment,
        KAFKA_CLIENT_ID: `ecom-sync-${name}`,
        DLQ_TOPIC: topics.dlq,
        ...extra,
      },
    });

    // --- functions -------------------------------------------------------------------------
    const poller = (name: PipelineFunctionName, source: keyof typeof sources) =>
      new PipelineFunction(this, pascal(name), {
        ...common(name, {
          SYNC_STATE_TABLE: this.storage.syncStateTable.tableName,
          SOURCE_API_BASE_URL: sourceApiBaseUrl,
          ...apiAccess(context.sourceApiUrl),
        }),
        description: `Polls ${sources[source].path} and publishes to ${sources[source].topic}`,
        memoryMb: pipeline.poller.memoryMb,
        timeoutSeconds: pipeline.poller.timeoutSeconds,
      });
    const pollCrm = poller(functionNames.pollCrm, 'crm');
    const pollInventory = poller(functionNames.pollInventory, 'inventory');

    const mergeConsumer = new PipelineFunction(this, 'MergeConsumer', {
      ...common(functionNames.mergeConsumer, {
        IDEMPOTENCY_TABLE: this.storage.idempotencyTable.tableName,
        STAGING_BUCKET: this.storage.stagingBucket.bucketName,
      }),
      description: 'Validates, dedupes and stages Kafka records to S3',
      memoryMb: pipeline.mergeConsumer.memoryMb,
      timeoutSeconds: pipeline.mergeConsumer.timeoutSeconds,
    });

    const flush = new PipelineFunction(this, 'Flush', {
      ...common(functionNames.flush, {
        STAGING_BUCKET: this.storage.stagingBucket.bucketName,
        SYNC_STATE_TABLE: this.storage.syncStateTable.tableName,
        ANALYTICS_API_BASE_URL: analyticsApiBaseUrl,
        ...apiAccess(context.analyticsApiUrl),
      }),
      description: 'Posts staged batches to Analytics; DLQ and redrive',
      memoryMb: pipeline.flush.memoryMb,
      timeoutSeconds: pipeline.flush.timeoutSeconds,
      reservedConcurrency: pipeline.flush.reservedConcurrency,
    });

    this.functions = {
      [functionNames.pollCrm]: pollCrm,
      [functionNames.pollInventory]: pollInventory,
      [functionNames.mergeConsumer]: mergeConsumer,
      [functionNames.flush]: flush,
    };

    // --- least-privilege grants --------------------------------------------------------------
    const { syncStateTable, idempotencyTable, stagingBucket } = this.storage;
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

    // --- triggers ----------------------------------------------------------------------------
    const schedules = new Schedules(this, 'Schedules', {
      targets: [
        {
          name: functionNames.pollCrm,
          function: pollCrm.function,
          rateMinutes: pipeline.schedules[functionNames.pollCrm].rateMinutes,
        },
        {
          name: functionNames.pollInventory,
          function: pollInventory.function,
          rateMinutes: pipeline.schedules[functionNames.pollInventory].rateMinutes,
        },
        {
          name: functionNames.flush,
          function: flush.function,
          rateMinutes: pipeline.schedules[functionNames.flush].rateMinutes,
        },
      ],
    });
    schedules.node.addDependency(kafkaTopics);

    const consumer = pipeline.mergeConsumer;
    this.mergeConsumerMappings = [sources.crm.topic, sources.inventory.topic].map((topic) => {
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
        pollers: { minimum: 1, maximum: pipeline.topics[topic].partitions },
      });
      mapping.node.addDependency(kafkaTopics);
      return mapping;
    });

    // --- observability -----------------------------------------------------------------------
    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: {
        ...Object.fromEntries(
          Object.entries(this.functions).map(([name, fn]) => [name, fn.function]),
        ),
        ...(this.mockApis ? { [functionNames.mockApis]: this.mockApis.function } : {}),
      },
      mergeConsumerName: functionNames.mergeConsumer,
      mappingIds: this.mergeConsumerMappings.map((mapping) => mapping.ref),
      dashboardName: `${this.stackName}-pipeline`,
      oldestStagedBatchAlarmSeconds: context.oldestStagedBatchAlarmSeconds,
      alarmEmail: context.alarmEmail,
    });

    // --- outputs -----------------------------------------------------------------------------
    for (const [name, fn] of Object.entries(this.functions)) {
      new CfnOutput(this, `${pascal(name)}FunctionName`, { value: fn.function.functionName });
    }
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
