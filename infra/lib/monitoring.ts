import { Aws, Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { metricEmitters, pipelineFunctions } from '../../lambdas/shared/functions';
import type { MetricName } from '../../lambdas/shared/pipeline';
import { functionNames, metricNames, pipeline } from '../../lambdas/shared/pipeline';

export interface MonitoringProps {
  /** The deployed functions (mock-apis included if deployed), by their names. */
  functions: readonly { name: string; function: IFunction }[];
  mergeConsumer: IFunction;
  /** Ids (UUIDs) of merge-consumer's event source mappings, whose own dead-letters count too. */
  mappingIds: readonly string[];
  dashboardName: string;
  oldestStagedBatchAlarmSeconds: number;
  alarmEmail?: string | undefined;
}

/** Emitters per metric, from the registry: a stage total is the sum over its emitters. */
const EMITTERS = metricEmitters();
const PERIOD = Duration.minutes(1);
const ALARM_PERIOD = Duration.minutes(5);
const ERROR_RATE_PERCENT = 5;
const OFFSET_LAG_THRESHOLD = 1_000;

/** The CloudWatch dashboard (one widget per stage) and the alarms, notifying one SNS topic. */
export class Monitoring extends Construct {
  readonly dashboard: Dashboard;
  readonly alarmTopic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    const key = new Key(this, 'AlarmTopicKey', {
      description: 'ecom-sync alarm topic',
      enableKeyRotation: true,
    });
    // CloudWatch alarms publish to the encrypted topic, so CloudWatch needs the key.
    key.grant(
      new ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'ecom-sync alarms',
      masterKey: key,
      enforceSSL: true,
    });
    // enforceSSL writes a topic policy that names no publisher: without this statement the alarms
    // (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger)
    // would fire and notify nobody. Scoped to this account's alarms (confused-deputy guard).
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
        },
      }),
    );
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));

    const offsetLag = new Metric({
      namespace: 'AWS/Lambda',
      metricName: 'OffsetLag',
      dimensionsMap: { FunctionName: props.mergeConsumer.functionName },
      statistic: 'Maximum',
      period: PERIOD,
      label: 'OffsetLag (max)',
    });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# ecom-sync\nPollers → Kafka → merge-consumer → S3 staging → flush → Analytics. Metrics are Powertools EMF, namespace `' +
          pipeline.metrics.namespace +
          '`.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      stageWidget('Fetched', [metricNames.recordsFetched, metricNames.pagesFetched]),
      stageWidget('Published', [metricNames.recordsPublished]),
      stageWidget('Invalid', [metricNames.recordsInvalid]),
      stageWidget('Duplicates', [metricNames.recordsReceived, metricNames.recordsDuplicate]),
    );
    this.dashboard.addWidgets(
      stageWidget('Staged', [metricNames.recordsStaged, metricNames.batchesStaged]),
      stageWidget('Delivered', [
        metricNames.recordsDelivered,
        metricNames.batchesDelivered,
        metricNames.analyticsPosts,
      ]),
      stageWidget('DLQ', [
        metricNames.dlqMessages,
        metricNames.batchesParked,
        metricNames.batchesRedriven,
      ]),
      new GraphWidget({
        title: 'Flush latency',
        left: ['p50', 'p99', 'Maximum'].map((statistic) =>
          pipelineMetric(metricNames.flushLatencyMs, functionNames.flush, statistic),
        ),
        width: 6,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'ESM OffsetLag (merge-consumer)', left: [offsetLag], width: 8 }),
      new GraphWidget({
        title: 'Oldest staged batch age (s)',
        left: [
          pipelineMetric(metricNames.oldestStagedBatchAgeSeconds, functionNames.flush, 'Maximum'),
        ],
        width: 8,
      }),
      stageWidget(
        'Source APIs',
        [
          metricNames.apiErrors,
          metricNames.apiRetries,
          metricNames.circuitOpened,
          metricNames.cursorReset,
        ],
        8,
      ),
    );
    for (const { name, function: fn } of props.functions) {
      this.dashboard.addWidgets(
        new GraphWidget({
          title: `${name}: errors and throttles`,
          left: [fn.metricErrors({ period: PERIOD }), fn.metricThrottles({ period: PERIOD })],
          right: [fn.metricInvocations({ period: PERIOD })],
          width: 12,
        }),
        new GraphWidget({
          title: `${name}: duration`,
          left: ['p50', 'p99', 'Maximum'].map((statistic) =>
            fn.metricDuration({ period: PERIOD, statistic }),
          ),
          width: 12,
        }),
      );
    }

    const action = new SnsAction(this.alarmTopic);
    const alarm = (id: string, make: () => Alarm): void => {
      const created = make();
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
    };

    alarm(
      'DlqMessages',
      () =>
        new Alarm(this, 'DlqMessagesAlarm', {
          alarmDescription:
            'Something was sent to analytics_dlq (by a function, or by a merge-consumer mapping after its retries), or a mapping dropped records it could not send there: inspect the topic and redrive.',
          metric: sumOf(metricNames.dlqMessages, ALARM_PERIOD, {
            ...Object.fromEntries(
              Object.values(pipelineFunctions).map((spec, index) => [
                `deadLetters${index}`,
                pipelineMetric(spec.deadLetters, spec.name, 'Sum', ALARM_PERIOD),
              ]),
            ),
            // The mappings' EventCount metrics (monitoring-metrics-types.html#event-source-mapping-metrics),
            // per mapping (dimension EventSourceMappingUUID, monitoring-metrics-view.html).
            ...Object.fromEntries(
              props.mappingIds.flatMap((mappingId, index) =>
                ['OnFailureDestinationDeliveredEventCount', 'DroppedEventCount'].map((name) => [
                  `${name.charAt(0).toLowerCase()}${name.slice(1)}${index}`,
                  new Metric({
                    namespace: 'AWS/Lambda',
                    metricName: name,
                    dimensionsMap: { EventSourceMappingUUID: mappingId },
                    statistic: 'Sum',
                    period: ALARM_PERIOD,
                  }),
                ]),
              ),
            ),
          }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
    );
    for (const { name, function: fn } of props.functions) {
      alarm(
        `${name}ErrorRate`,
        () =>
          new Alarm(this, `ErrorRate-${name}`, {
            alarmDescription: `${name}: more than ${ERROR_RATE_PERCENT}% of invocations failed.`,
            metric: new MathExpression({
              expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
              usingMetrics: {
                errors: fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
                invocations: fn.metricInvocations({ period: ALARM_PERIOD, statistic: 'Sum' }),
              },
              period: ALARM_PERIOD,
              label: `${name} error rate (%)`,
            }),
            threshold: ERROR_RATE_PERCENT,
            comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: TreatMissingData.NOT_BREACHING,
          }),
      );
    }
    alarm(
      'OffsetLag',
      () =>
        new Alarm(this, 'OffsetLagAlarm', {
          alarmDescription: `merge-consumer is more than ${OFFSET_LAG_THRESHOLD} records behind.`,
          metric: offsetLag.with({ period: ALARM_PERIOD }),
          threshold: OFFSET_LAG_THRESHOLD,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
    );
    alarm(
      'OldestStagedBatch',
      () =>
        new Alarm(this, 'OldestStagedBatchAlarm', {
          alarmDescription: `A staged batch has waited more than ${props.oldestStagedBatchAlarmSeconds}s for delivery: Analytics down or flush failing.`,
          metric: pipelineMetric(
            metricNames.oldestStagedBatchAgeSeconds,
            functionNames.flush,
            'Maximum',
            ALARM_PERIOD,
          ),
          threshold: props.oldestStagedBatchAlarmSeconds,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
    );
  }

  dashboardUrl(): string {
    return `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}

function pipelineMetric(
  metricName: MetricName,
  service: string,
  statistic = 'Sum',
  period = PERIOD,
): Metric {
  return new Metric({
    namespace: pipeline.metrics.namespace,
    metricName,
    dimensionsMap: { service },
    statistic,
    period,
    label: `${metricName} (${service})`,
  });
}

/** One metric per function that emits it; ids are unique per metric name (a graph holds several). */
function emitterMetrics(metricName: MetricName, period = PERIOD): Record<string, IMetric> {
  return Object.fromEntries(
    (EMITTERS.get(metricName) ?? []).map((service, index) => [
      `${metricName.charAt(0).toLowerCase()}${metricName.slice(1)}${index}`,
      pipelineMetric(metricName, service, 'Sum', period),
    ]),
  );
}

function sumOf(label: string, period: Duration, usingMetrics: Record<string, IMetric>): IMetric {
  return new MathExpression({
    expression: `SUM([${Object.keys(usingMetrics).join(',')}])`,
    usingMetrics,
    period,
    label,
  });
}

/** The total of one metric over every function that emits it. */
function sumOverEmitters(metricName: MetricName, period = PERIOD): IMetric {
  return sumOf(metricName, period, emitterMetrics(metricName, period));
}

function stageWidget(title: string, metrics: MetricName[], width = 6): GraphWidget {
  return new GraphWidget({
    title,
    left: metrics.map((metricName) => sumOverEmitters(metricName)),
    width,
  });
}
