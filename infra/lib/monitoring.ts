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
import { flushMetrics, functionNames, pipeline } from '../../lambdas/shared/pipeline';
import { stagePanels } from '../../localstack/dashboard/panels';

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

/** The CloudWatch dashboard (the stage panels, then two widgets per function) and the alarms. */
export class Monitoring extends Construct {
  readonly dashboard: Dashboard;
  readonly alarmTopic: Topic;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'ecom-sync alarm topic',
      enableKeyRotation: true,
    });
    // CloudWatch alarms publish to the encrypted topic, so CloudWatch needs the key.
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    key.grant(cloudWatch, 'kms:Decrypt', 'kms:GenerateDataKey*');
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
        principals: [cloudWatch],
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

    const offsetLag = props.mergeConsumer.metric('OffsetLag', {
      statistic: 'Maximum',
      period: PERIOD,
      label: 'OffsetLag (max)',
    });
    const action = new SnsAction(this.alarmTopic);
    const alarm = (
      alarmId: string,
      alarmDescription: string,
      metric: IMetric,
      threshold: number,
      evaluationPeriods = 1,
    ): void => {
      const created = new Alarm(this, alarmId, {
        alarmDescription,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
    };

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    const markdown = `# ecom-sync\nPollers → Kafka → merge-consumer → S3 staging → flush → Analytics. Metrics are Powertools EMF, namespace \`${pipeline.metrics.namespace}\`.`;
    this.dashboard.addWidgets(new TextWidget({ markdown, width: 24, height: 2 }));
    this.dashboard.addWidgets(
      ...stagePanels.map(
        (panel) =>
          new GraphWidget({
            title: panel.title,
            width: 6,
            left: panel.metrics.flatMap((name) => {
              const { statistics } = panel;
              if (!statistics) return [sumOf(name, PERIOD, emitterMetrics(name, PERIOD))];
              return (EMITTERS.get(name) ?? []).flatMap((service) =>
                statistics.map((statistic) => pipelineMetric(name, service, statistic)),
              );
            }),
          }),
      ),
      new GraphWidget({ title: 'ESM OffsetLag (merge-consumer)', left: [offsetLag], width: 6 }),
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
      const errorRate = new MathExpression({
        expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
        usingMetrics: {
          errors: fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
          invocations: fn.metricInvocations({ period: ALARM_PERIOD, statistic: 'Sum' }),
        },
        period: ALARM_PERIOD,
        label: `${name} error rate (%)`,
      });
      alarm(
        `ErrorRate-${name}`,
        `${name}: more than ${ERROR_RATE_PERCENT}% of invocations failed.`,
        errorRate,
        ERROR_RATE_PERCENT,
      );
    }

    // What each function sends to analytics_dlq, plus each mapping's EventCount metrics (dimension
    // EventSourceMappingUUID: monitoring-metrics-types.html#event-source-mapping-metrics).
    const deadLetters = Object.values(pipelineFunctions).map((spec, index) => [
      `deadLetters${index}`,
      pipelineMetric(spec.deadLetters, spec.name, 'Sum', ALARM_PERIOD),
    ]);
    const mappingDeadLetters = props.mappingIds.flatMap((mappingId, index) =>
      ['OnFailureDestinationDeliveredEventCount', 'DroppedEventCount'].map((metricName) => [
        metricId(metricName, index),
        new Metric({
          namespace: 'AWS/Lambda',
          metricName,
          dimensionsMap: { EventSourceMappingUUID: mappingId },
          statistic: 'Sum',
          period: ALARM_PERIOD,
        }),
      ]),
    );
    alarm(
      'DlqMessagesAlarm',
      'Something was sent to analytics_dlq (by a function, or by a merge-consumer mapping after its retries), or a mapping dropped records it could not send there: inspect the topic and redrive.',
      sumOf(
        flushMetrics.dlqMessages,
        ALARM_PERIOD,
        Object.fromEntries([...deadLetters, ...mappingDeadLetters]) as Record<string, IMetric>,
      ),
      0,
    );
    alarm(
      'OffsetLagAlarm',
      `merge-consumer is more than ${OFFSET_LAG_THRESHOLD} records behind.`,
      offsetLag.with({ period: ALARM_PERIOD }),
      OFFSET_LAG_THRESHOLD,
      3,
    );
    alarm(
      'OldestStagedBatchAlarm',
      `A staged batch has waited more than ${props.oldestStagedBatchAlarmSeconds}s for delivery: Analytics down or flush failing.`,
      pipelineMetric(
        flushMetrics.oldestStagedBatchAgeSeconds,
        functionNames.flush,
        'Maximum',
        ALARM_PERIOD,
      ),
      props.oldestStagedBatchAlarmSeconds,
    );
  }

  dashboardUrl(): string {
    return `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}

function pipelineMetric(
  metricName: MetricName,
  service: string,
  statistic: string,
  period = PERIOD,
) {
  return new Metric({
    namespace: pipeline.metrics.namespace,
    metricName,
    dimensionsMap: { service },
    statistic,
    period,
    label: `${metricName} (${service})`,
  });
}

/** A math expression's id: lower camel case, unique per metric name (a graph holds several). */
const metricId = (metricName: string, index: number) =>
  `${metricName.charAt(0).toLowerCase()}${metricName.slice(1)}${index}`;

/** One metric per function that emits it. */
function emitterMetrics(metricName: MetricName, period: Duration): Record<string, IMetric> {
  return Object.fromEntries(
    (EMITTERS.get(metricName) ?? []).map((service, index) => [
      metricId(metricName, index),
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
