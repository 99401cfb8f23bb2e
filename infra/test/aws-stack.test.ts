import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  functionNames,
  metricNames,
  pipeline,
  staging,
  tables,
  topics,
} from '../../lambdas/shared/pipeline';
import { lambdaNodeMajor } from '../../lambdas/shared/pipeline';
import { mergeConsumerGroupId } from '../../lambdas/shared/pipeline';
import type { Synthesized } from './synth';
import { asArray, statementsOfRole, synthesize } from './synth';

let aws: Synthesized;
beforeAll(() => {
  aws = synthesize({ target: 'aws' });
}, 180_000);

describe('target aws: network and Kafka', () => {
  it('builds a VPC with private subnets, one NAT and S3 + DynamoDB gateway endpoints', () => {
    aws.template.resourceCountIs('AWS::EC2::NatGateway', 1);
    const endpoints = Object.values(aws.template.findResources('AWS::EC2::VPCEndpoint'));
    expect(endpoints.map((endpoint) => endpoint.Properties.VpcEndpointType ?? 'Gateway')).toEqual([
      'Gateway',
      'Gateway',
    ]);
    const services = JSON.stringify(endpoints.map((endpoint) => endpoint.Properties.ServiceName));
    expect(services).toContain('.s3');
    expect(services).toContain('.dynamodb');
  });

  it('takes the NAT count from context', () => {
    const none = synthesize({ target: 'aws', natGateways: '2' });
    none.template.resourceCountIs('AWS::EC2::NatGateway', 2);
  }, 180_000);

  it('creates an MSK Serverless cluster with IAM auth only', () => {
    aws.template.hasResourceProperties('AWS::MSK::ServerlessCluster', {
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
    });
    aws.template.resourceCountIs('AWS::MSK::Cluster', 0);
  });

  it('creates the three topics with partitions and retention from pipeline.ts', () => {
    const [topicsResource] = Object.values(aws.template.findResources('Custom::KafkaTopics'));
    expect(topicsResource?.Properties.Topics).toEqual(
      Object.entries(pipeline.topics).map(([name, topic]) => ({
        name,
        partitions: topic.partitions,
        retentionMs: topic.retentionHours * 3_600_000,
      })),
    );
  });
});

describe('target aws: functions', () => {
  it('deploys five handlers (plus the topics handler) as arm64 ESM bundles on the newest Node.js', () => {
    const functions = Object.values(aws.template.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Architectures !== undefined,
    );
    expect(functions).toHaveLength(6);
    for (const fn of functions) {
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Runtime).toBe(`nodejs${lambdaNodeMajor}.x`);
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe(
        '--enable-source-maps --disable-warning=TimeoutNegativeWarning',
      );
      expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
    }
  });

  it('gives every function an explicit log group with retention', () => {
    const groups = Object.values(aws.template.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThanOrEqual(7);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('sizes and configures each pipeline function from pipeline.ts', () => {
    aws.template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: pipeline.flush.memoryMb,
      Timeout: pipeline.flush.timeoutSeconds,
      ReservedConcurrentExecutions: pipeline.flush.reservedConcurrency,
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: functionNames.flush,
          POWERTOOLS_METRICS_NAMESPACE: pipeline.metrics.namespace,
          POWERTOOLS_LOG_LEVEL: 'INFO',
          MSK_CLUSTER_ARN: Match.anyValue(),
          KAFKA_AUTH: 'iam',
          DLQ_TOPIC: topics.dlq,
          STAGING_BUCKET: Match.anyValue(),
          SYNC_STATE_TABLE: Match.anyValue(),
          ANALYTICS_API_BASE_URL: Match.anyValue(),
          API_AUTH: 'iam',
        }),
      },
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
    });
    aws.template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: pipeline.mergeConsumer.memoryMb,
      Timeout: pipeline.mergeConsumer.timeoutSeconds,
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: functionNames.mergeConsumer,
          IDEMPOTENCY_TABLE: Match.anyValue(),
          STAGING_BUCKET: Match.anyValue(),
        }),
      },
    });
    for (const poller of [functionNames.pollCrm, functionNames.pollInventory]) {
      aws.template.hasResourceProperties('AWS::Lambda::Function', {
        MemorySize: pipeline.poller.memoryMb,
        Timeout: pipeline.poller.timeoutSeconds,
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_SERVICE_NAME: poller,
            SYNC_STATE_TABLE: Match.anyValue(),
            SOURCE_API_BASE_URL: Match.anyValue(),
            API_AUTH: 'iam',
          }),
        },
      });
    }
  });

  it('puts mock-apis behind an IAM-authenticated Function URL', () => {
    aws.template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    const [urlId] = Object.keys(aws.template.findResources('AWS::Lambda::Url'));
    const urlParts = { 'Fn::Split': ['/', { 'Fn::GetAtt': [urlId, 'FunctionUrl'] }] };
    aws.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: functionNames.pollCrm,
          // `<scheme>//<host>` of the Function URL, without its trailing slash
          SOURCE_API_BASE_URL: {
            'Fn::Join': [
              '',
              [{ 'Fn::Select': [0, urlParts] }, '//', { 'Fn::Select': [2, urlParts] }],
            ],
          },
        }),
      },
    });
    for (const prefix of ['PollCrmRole', 'PollInventoryRole', 'FlushRole']) {
      const invokeUrl = statementsOfRole(aws.template, prefix).filter((statement) =>
        asArray(statement.Action).includes('lambda:InvokeFunctionUrl'),
      );
      expect(invokeUrl).toHaveLength(1);
    }
  });

  it('points pollers and flush at real APIs from context and reads exactly the named token', () => {
    const real = synthesize({
      target: 'aws',
      sourceApiUrl: 'https://crm.example.com',
      analyticsApiUrl: 'https://analytics.example.com',
      apiTokenParameter: '/ecom-sync/api-token',
    });
    real.template.resourceCountIs('AWS::Lambda::Url', 0);
    for (const poller of [functionNames.pollCrm, functionNames.pollInventory]) {
      real.template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_SERVICE_NAME: poller,
            SOURCE_API_BASE_URL: 'https://crm.example.com',
            API_TOKEN_PARAMETER: '/ecom-sync/api-token',
            API_AUTH: 'none',
          }),
        },
      });
    }
    real.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: functionNames.flush,
          ANALYTICS_API_BASE_URL: 'https://analytics.example.com',
          API_TOKEN_PARAMETER: '/ecom-sync/api-token',
          API_AUTH: 'none',
        }),
      },
    });
    const ssmReads = statementsOfRole(real.template, 'FlushRole').filter((statement) =>
      asArray(statement.Action).includes('ssm:GetParameter'),
    );
    expect(ssmReads).toHaveLength(1);
    expect(JSON.stringify(ssmReads[0]?.Resource)).toContain('parameter/ecom-sync/api-token');
  }, 180_000);
});

describe('target aws: merge-consumer event source mappings', () => {
  it('subscribes to both source topics with the retry controls from pipeline.ts', () => {
    const consumer = pipeline.mergeConsumer;
    for (const topic of [topics.customers, topics.products]) {
      aws.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        Topics: [topic],
        EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KafkaServerless'), 'Arn'] },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: consumer.batchSize,
        MaximumBatchingWindowInSeconds: consumer.maxBatchingWindowSeconds,
        MaximumRetryAttempts: consumer.maximumRetryAttempts,
        MaximumRecordAgeInSeconds: consumer.maximumRecordAgeSeconds,
        BisectBatchOnFunctionError: consumer.bisectBatchOnFunctionError,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: `kafka://${topics.dlq}` } },
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: mergeConsumerGroupId(topic) },
        ProvisionedPollerConfig: {
          MinimumPollers: 1,
          MaximumPollers: pipeline.topics[topic].partitions,
        },
        // OnFailureDestinationDeliveredEventCount and DroppedEventCount are in this group.
        MetricsConfig: { Metrics: ['EventCount'] },
      });
    }
    aws.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
  });

  it('creates the mappings only after the topics exist', () => {
    const mappings = aws.template.findResources('AWS::Lambda::EventSourceMapping');
    const topicsId = Object.keys(aws.template.findResources('Custom::KafkaTopics'))[0];
    for (const mapping of Object.values(mappings)) {
      expect(mapping.DependsOn).toEqual(expect.arrayContaining([topicsId]));
    }
  });
});

describe('target aws: schedules', () => {
  it('invokes the pollers and flush at the rates from pipeline.ts', () => {
    const rules = Object.values(aws.template.findResources('AWS::Events::Rule'));
    const expressions = rules.map((rule) => rule.Properties.ScheduleExpression).sort();
    const rate = (minutes: number) => `rate(${minutes} minute${minutes === 1 ? '' : 's'})`;
    expect(expressions).toEqual(
      [
        rate(pipeline.schedules[functionNames.pollCrm].rateMinutes),
        rate(pipeline.schedules[functionNames.pollInventory].rateMinutes),
        rate(pipeline.schedules[functionNames.flush].rateMinutes),
      ].sort(),
    );
    for (const rule of rules) {
      expect(rule.Properties.Targets).toHaveLength(1);
      expect(rule.Properties.Targets[0].RetryPolicy).toMatchObject({ MaximumRetryAttempts: 0 });
    }
  });
});

describe('target aws: storage security', () => {
  it('creates both tables on demand, with PITR, encryption and the keys from pipeline.ts', () => {
    aws.template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: tables.idempotency.name,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: tables.idempotency.ttlAttribute, Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    aws.template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: tables.syncState.name,
      KeySchema: [{ AttributeName: tables.syncState.partitionKey, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    for (const table of Object.values(aws.template.findResources('AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Retain');
    }
  });

  it('encrypts the staging bucket, blocks public access, enforces TLS and expires delivered/ and dlq/', () => {
    aws.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: {
        'Fn::Join': ['', [`${staging.bucket}-`, Match.anyValue(), '-', Match.anyValue()]],
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Prefix: staging.prefixes.delivered,
            ExpirationInDays: 30,
            Status: 'Enabled',
          }),
          Match.objectLike({
            Prefix: staging.prefixes.dlq,
            ExpirationInDays: 90,
            Status: 'Enabled',
          }),
        ]),
      },
    });
    const policies = Object.values(aws.template.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });
});

describe('target aws: dashboard and alarms', () => {
  const dashboardBody = (): string => {
    const [dashboard] = Object.values(aws.template.findResources('AWS::CloudWatch::Dashboard'));
    // The body is an Fn::Join of literal JSON and tokens (function names); the literals suffice.
    return JSON.stringify(dashboard?.Properties.DashboardBody);
  };

  it('has a widget per stage and per function', () => {
    const body = dashboardBody();
    for (const title of [
      'Fetched',
      'Published',
      'Invalid',
      'Duplicates',
      'Staged',
      'Delivered',
      'DLQ',
      'Flush latency (ms)',
      'ESM OffsetLag (merge-consumer)',
      'Oldest staged batch age (s)',
    ]) {
      expect(body).toContain(`\\"title\\":\\"${title}\\"`);
    }
    for (const name of Object.values(functionNames)) {
      expect(body).toContain(`${name}: errors and throttles`);
      expect(body).toContain(`${name}: duration`);
    }
  });

  it('charts the pipeline metrics from metricNames in the pipeline namespace', () => {
    const body = dashboardBody();
    for (const metric of [
      metricNames.recordsFetched,
      metricNames.recordsPublished,
      metricNames.recordsInvalid,
      metricNames.recordsDuplicate,
      metricNames.recordsStaged,
      metricNames.recordsDelivered,
      metricNames.dlqMessages,
      metricNames.flushLatencyMs,
      metricNames.oldestStagedBatchAgeSeconds,
    ]) {
      expect(body).toContain(`[\\"${pipeline.metrics.namespace}\\",\\"${metric}\\",\\"service\\"`);
    }
    expect(body).toContain('\\"AWS/Lambda\\",\\"OffsetLag\\"');
    expect(body).toContain('\\"Throttles\\"');
    expect(body).toContain('\\"Duration\\"');
  });

  it('alarms on DLQ messages, error rate per function, offset lag and the oldest staged batch, into an encrypted topic', () => {
    const alarms = Object.values(aws.template.findResources('AWS::CloudWatch::Alarm'));
    // DLQ + 5 functions' error rates + OffsetLag + oldest batch
    expect(alarms).toHaveLength(8);
    const topicId = Object.keys(aws.template.findResources('AWS::SNS::Topic'))[0];
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    }

    const dlq = alarms.find((alarm) => alarm.Properties.AlarmDescription.includes('analytics_dlq'));
    expect(dlq?.Properties).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const dlqMetrics = dlq?.Properties.Metrics as {
      MetricStat?: { Metric: { Namespace: string; MetricName: string } };
    }[];
    // What each function sends to analytics_dlq: the pollers count it as RecordsInvalid.
    const deadLetters = (name: string, service: string) => ({
      Namespace: pipeline.metrics.namespace,
      MetricName: name,
      Dimensions: [{ Name: 'service', Value: service }],
    });
    expect(
      dlqMetrics.flatMap((m) =>
        m.MetricStat?.Metric.Namespace === pipeline.metrics.namespace ? [m.MetricStat.Metric] : [],
      ),
    ).toEqual([
      deadLetters(metricNames.recordsInvalid, functionNames.pollCrm),
      deadLetters(metricNames.recordsInvalid, functionNames.pollInventory),
      deadLetters(metricNames.dlqMessages, functionNames.mergeConsumer),
      deadLetters(metricNames.dlqMessages, functionNames.flush),
    ]);
    // ...and what each merge-consumer mapping sends to its on-failure destination itself (or
    // drops failing to): https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
    const mappingIds = Object.keys(aws.template.findResources('AWS::Lambda::EventSourceMapping'));
    const esmMetrics = dlqMetrics
      .flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []))
      .filter((metric) => metric.Namespace === 'AWS/Lambda');
    expect(esmMetrics).toEqual(
      mappingIds.flatMap((id) =>
        ['OnFailureDestinationDeliveredEventCount', 'DroppedEventCount'].map((name) => ({
          Namespace: 'AWS/Lambda',
          MetricName: name,
          Dimensions: [{ Name: 'EventSourceMappingUUID', Value: { Ref: id } }],
        })),
      ),
    );
    expect(mappingIds).toHaveLength(2);
    const expression = dlqMetrics.find((m) => !m.MetricStat) as { Expression: string };
    expect(expression.Expression.split(',')).toHaveLength(4 + 2 * 2);

    const errorRates = alarms.filter((alarm) =>
      alarm.Properties.AlarmDescription.includes('of invocations failed'),
    );
    expect(errorRates).toHaveLength(5);
    for (const alarm of errorRates) {
      expect(alarm.Properties.Threshold).toBe(5);
      expect(JSON.stringify(alarm.Properties.Metrics)).toContain('100 * errors / invocations');
    }

    const lag = alarms.find((alarm) =>
      alarm.Properties.AlarmDescription.includes('records behind'),
    );
    expect(lag?.Properties.Threshold).toBe(1_000);
    expect(JSON.stringify(lag?.Properties)).toMatch(
      /"Namespace":"AWS\/Lambda","MetricName":"OffsetLag"|"MetricName":"OffsetLag".*"Namespace":"AWS\/Lambda"/,
    );

    const oldest = alarms.find((alarm) =>
      alarm.Properties.AlarmDescription.includes('waited more than'),
    );
    expect(oldest?.Properties.Threshold).toBe(900);
    const oldestMetric = JSON.stringify(oldest?.Properties);
    expect(oldestMetric).toContain(`"MetricName":"${metricNames.oldestStagedBatchAgeSeconds}"`);
    expect(oldestMetric).toContain(`"Namespace":"${pipeline.metrics.namespace}"`);
    expect(oldestMetric).toContain(`{"Name":"service","Value":"${functionNames.flush}"}`);

    aws.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
    });
    aws.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('outputs the function names, bucket, tables and dashboard URL', () => {
    const outputs = Object.keys(aws.template.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'PollCrmFunctionName',
        'PollInventoryFunctionName',
        'MergeConsumerFunctionName',
        'FlushFunctionName',
        'MockApisFunctionName',
        'StagingBucketName',
        'SyncStateTableName',
        'IdempotencyTableName',
        'DashboardUrl',
      ]),
    );
  });
});

describe('target aws: provisioned MSK option', () => {
  it('builds a provisioned cluster with IAM auth, TLS and broker logs instead', () => {
    const provisioned = synthesize({ target: 'aws', mskMode: 'provisioned' });
    provisioned.template.resourceCountIs('AWS::MSK::ServerlessCluster', 0);
    provisioned.template.hasResourceProperties('AWS::MSK::Cluster', {
      ClientAuthentication: {
        Sasl: { Iam: { Enabled: true } },
        Unauthenticated: { Enabled: false },
      },
      EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true } },
      LoggingInfo: { BrokerLogs: { CloudWatchLogs: Match.objectLike({ Enabled: true }) } },
      NumberOfBrokerNodes: 2,
    });
  }, 180_000);
});

describe('target aws: alarm delivery and scheduled invocations', () => {
  it('lets CloudWatch alarms of this account publish to the alarm topic, over the enforceSSL policy', () => {
    const policies = Object.values(aws.template.findResources('AWS::SNS::TopicPolicy'));
    expect(policies).toHaveLength(1);
    const statements = policies[0]?.Properties.PolicyDocument.Statement as {
      Effect: string;
      Principal: unknown;
      Action: unknown;
      Condition?: Record<string, Record<string, unknown>>;
    }[];
    const publish = statements.filter(
      (statement) =>
        statement.Effect === 'Allow' &&
        JSON.stringify(statement.Principal).includes('cloudwatch.amazonaws.com'),
    );
    expect(publish).toHaveLength(1);
    expect(publish[0]?.Action).toBe('sns:Publish');
    expect(publish[0]?.Condition?.StringEquals?.['aws:SourceAccount']).toEqual({
      Ref: 'AWS::AccountId',
    });
    expect(JSON.stringify(publish[0]?.Condition?.ArnLike?.['aws:SourceArn'])).toContain(':alarm:*');
    // The enforceSSL deny stays.
    expect(
      statements.some(
        (statement) =>
          statement.Effect === 'Deny' && JSON.stringify(statement).includes('SecureTransport'),
      ),
    ).toBe(true);
  });

  it('gives the scheduled functions no async retries and a one-period event age, on the rule target and on the function', () => {
    const scheduled = [functionNames.pollCrm, functionNames.pollInventory, functionNames.flush];
    const rules = Object.values(aws.template.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(scheduled.length);
    for (const rule of rules) {
      const [target] = rule.Properties.Targets;
      expect(target.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 0 });
      expect(target.RetryPolicy.MaximumEventAgeInSeconds).toBeLessThanOrEqual(300);
    }
    const configs = Object.values(aws.template.findResources('AWS::Lambda::EventInvokeConfig'));
    expect(configs).toHaveLength(scheduled.length);
    const ages = configs.map((config) => {
      expect(config.Properties.MaximumRetryAttempts).toBe(0);
      return config.Properties.MaximumEventAgeInSeconds as number;
    });
    expect(ages.sort((a, b) => a - b)).toEqual(
      scheduled.map((name) => pipeline.schedules[name].rateMinutes * 60).sort((a, b) => a - b),
    );
  });
});
