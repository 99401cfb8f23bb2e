import { CfnOutput, Fn, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { isSecretsManagerArn } from '../../lambdas/shared/api-auth';
import type { ApiAccess, PipelineFunctionKey } from '../../lambdas/shared/functions';
import {
  functionEnvironment,
  handlerEntry,
  pipelineFunctions,
} from '../../lambdas/shared/functions';
import {
  dlqRedriveGroupId,
  functionNames,
  pipeline,
  sources,
  staging,
  topics,
} from '../../lambdas/shared/pipeline';
import type { InfraContext } from './infra-context';
import { replayGroup, selfManagedKafka, subscribe } from './kafka';
import { KafkaTopics } from './kafka-topics';
import { Monitoring } from './monitoring';
import { mskKafka } from './msk';
import { acknowledgeNag, logicalIdOf } from './nag';
import { allow, PipelineFunction } from './pipeline-function';
import { Storage } from './storage';

/** mock-apis, a test double: one instance, so its in-memory data and fault settings are one state. */
const MOCK_APIS = { memoryMb: 512, timeoutSeconds: 30, reservedConcurrency: 1 } as const;

/** The whole pipeline: one stack, target `aws` (VPC + MSK) or `localstack` (self-managed Kafka). */
export class EcomSyncStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { context: InfraContext }) {
    super(scope, id, props);
    const context = props.context;
    const { syncStateTable, idempotencyTable, stagingBucket } = new Storage(this, 'Storage', {
      ...context,
      retainData: context.retainData ?? context.target === 'aws',
    });
    const connection =
      context.target === 'localstack'
        ? selfManagedKafka(context.kafkaBootstrap)
        : mskKafka(this, context);
    const common = { logLevel: context.logLevel, logRetention: context.logRetentionDays };
    const kafkaTopics = new KafkaTopics(this, 'KafkaTopics', {
      ...common,
      connection,
      topics: Object.entries(pipeline.topics).map(([name, topic]) => ({
        name,
        partitions: topic.partitions,
        retentionMs: topic.retentionHours * 3_600_000,
      })),
    });

    let mockApis: PipelineFunction | undefined;
    let mockApiBaseUrl = '';
    if (!context.sourceApiUrl || !context.analyticsApiUrl) {
      mockApis = new PipelineFunction(this, 'MockApis', {
        ...common,
        name: functionNames.mockApis,
        entry: handlerEntry(functionNames.mockApis),
        description: 'Mock CRM, Inventory and Analytics APIs (test double)',
        tunables: MOCK_APIS,
        environment: {},
      });
      const url = mockApis.function.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
      // `<scheme>//<host>` (LocalStack serves http): the handlers append paths starting with '/'.
      const urlParts = Fn.split('/', url.url);
      mockApiBaseUrl = `${Fn.select(0, urlParts)}//${Fn.select(2, urlParts)}`;
      new CfnOutput(this, 'MockApisUrl', { value: mockApiBaseUrl });
      new CfnOutput(this, 'MockApisFunctionName', { value: mockApis.function.functionName });
    }
    // The mocks' URL takes SigV4 (API_AUTH=iam); real APIs the optional bearer token instead.
    const api = (realUrl: string | undefined): ApiAccess =>
      realUrl === undefined
        ? { baseUrl: mockApiBaseUrl, auth: 'iam' }
        : { baseUrl: realUrl, auth: 'none', tokenParameter: context.apiTokenParameter };
    const resources = {
      customerTopic: topics.customers,
      productTopic: topics.products,
      dlqTopic: topics.dlq,
      idempotencyTable: idempotencyTable.tableName,
      syncStateTable: syncStateTable.tableName,
      stagingBucket: stagingBucket.bucketName,
      sourceApi: api(context.sourceApiUrl),
      analyticsApi: api(context.analyticsApiUrl),
    };

    const functions = Object.entries(pipelineFunctions).map(([key, spec]) => {
      const id = key.charAt(0).toUpperCase() + key.slice(1);
      const fn = new PipelineFunction(this, id, {
        ...common,
        ...spec,
        environment: { ...connection.environment, ...functionEnvironment(spec, resources) },
        network: connection.network,
        rateMinutes: 'rateMinutes' in spec.trigger ? spec.trigger.rateMinutes : undefined,
      });
      fn.schedule?.node.addDependency(kafkaTopics);
      new CfnOutput(this, `${id}FunctionName`, { value: fn.function.functionName });
      return [key, fn] as const;
    });
    const byKey = Object.fromEntries(functions) as Record<PipelineFunctionKey, PipelineFunction>;
    const { pollCrm, pollInventory, mergeConsumer, flush } = byKey;

    const items = (...verbs: string[]) => verbs.map((verb) => `dynamodb:${verb}Item`);
    for (const [fn, source] of [
      [pollCrm, 'crm'],
      [pollInventory, 'inventory'],
    ] as const) {
      syncStateTable.grant(fn.role, ...items('Get', 'Put', 'Update'));
      grantObjects(fn, stagingBucket, [`${staging.knownIds}${source}/`], ['Get', 'Put', 'Delete']);
      connection.grantProduce(fn.role, [sources[source].topic, topics.dlq]);
    }
    // Claims are never deleted (a failed attempt's claim is taken over), so no DeleteItem.
    idempotencyTable.grant(mergeConsumer.role, ...items('Get', 'Put', 'Update'));
    grantObjects(mergeConsumer, stagingBucket, [staging.prefixes.staging], ['Get', 'Put']);
    // Read-only: a claim's batch may have been moved by flush (delivered/, dlq/) before a retry.
    const moved = [staging.prefixes.delivered, staging.prefixes.dlq];
    grantObjects(mergeConsumer, stagingBucket, moved, ['Get']);
    connection.grantProduce(mergeConsumer.role, [topics.dlq]);
    syncStateTable.grant(flush.role, ...items('Get', 'Put', 'Update', 'Delete'));
    grantObjects(flush, stagingBucket, Object.values(staging.prefixes), ['Get', 'Put', 'Delete']);
    // dlq redrive and replay seeks (lambdas/shared/dlq.ts): read the DLQ and source topics,
    // commit the redrive group and the replay groups, republish to the source topics.
    const groups = [dlqRedriveGroupId(), ...Object.values(sources).map(replayGroup)];
    connection.grantRead(flush.role, Object.values(topics), groups);
    connection.grantProduce(flush.role, Object.values(topics));
    // Callers of the mocks may invoke their URL; callers of a real API may read its token.
    const token = context.apiTokenParameter && apiToken(this, context.apiTokenParameter);
    const callers = [
      [context.sourceApiUrl, [pollCrm, pollInventory]],
      [context.analyticsApiUrl, [flush]],
    ] as const;
    for (const [realUrl, fns] of callers) {
      for (const { role } of fns) {
        if (realUrl === undefined) mockApis?.function.grantInvokeUrl(role);
        else if (token) token.grantRead(role);
      }
    }

    const mappings = pipelineFunctions.mergeConsumer.trigger.topics(resources).map((topic) => {
      const mapping = subscribe(connection, mergeConsumer.function, topic);
      mapping.node.addDependency(kafkaTopics);
      return mapping;
    });

    const monitoring = new Monitoring(this, 'Monitoring', {
      functions: [...Object.values(byKey), ...(mockApis ? [mockApis] : [])],
      mergeConsumer: mergeConsumer.function,
      mappingIds: mappings.map((mapping) => mapping.ref),
      dashboardName: `${this.stackName}-pipeline`,
      oldestStagedBatchAlarmSeconds: context.oldestStagedBatchAlarmSeconds,
      alarmEmail: context.alarmEmail,
    });
    new CfnOutput(this, 'StagingBucketName', { value: stagingBucket.bucketName });
    new CfnOutput(this, 'SyncStateTableName', { value: syncStateTable.tableName });
    new CfnOutput(this, 'IdempotencyTableName', { value: idempotencyTable.tableName });
    new CfnOutput(this, 'DashboardUrl', { value: monitoring.dashboardUrl() });
    new CfnOutput(this, 'AlarmTopicArn', { value: monitoring.alarmTopic.topicArn });
  }
}

function grantObjects(
  fn: PipelineFunction,
  bucket: Bucket,
  prefixes: readonly string[],
  verbs: readonly ('Get' | 'Put' | 'Delete')[],
): void {
  const objects = prefixes.map((prefix) => `${prefix}*`);
  allow(
    fn.role,
    verbs.map((verb) => `s3:${verb}Object`),
    objects.map((pattern) => bucket.arnForObjects(pattern)),
  );
  acknowledgeNag(fn.role, [
    {
      id: 'AwsSolutions-IAM5',
      reason:
        'Object keys under a prefix are generated per batch (staging/YYYY/MM/DD/<batchId>.json); the wildcard covers exactly the prefixes this function owns.',
      appliesTo: objects.map((pattern) => `Resource::<${logicalIdOf(bucket)}.Arn>/${pattern}`),
    },
  ]);
  // ListBucket on the prefixes only: without it a missing object answers 403 instead of 404.
  allow(fn.role, ['s3:ListBucket'], [bucket.bucketArn], { StringLike: { 's3:prefix': objects } });
}

/** `API_TOKEN_PARAMETER`'s token: a secret for a secret ARN (as the pollers read it), else SSM. */
function apiToken(scope: Construct, parameter: string) {
  if (isSecretsManagerArn(parameter)) {
    // Secrets Manager appends `-` and six characters to a secret's name in its complete ARN.
    return /-[A-Za-z0-9]{6}$/.test(parameter)
      ? Secret.fromSecretCompleteArn(scope, 'ApiTokenSecret', parameter)
      : Secret.fromSecretPartialArn(scope, 'ApiTokenSecret', parameter);
  }
  return StringParameter.fromSecureStringParameterAttributes(scope, 'ApiTokenParameter', {
    parameterName: parameter,
  });
}
