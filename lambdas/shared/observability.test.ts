import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KafkaEnvSchema } from './kafka';
import { functionNames, pipeline } from './pipeline';
import { FlushEnvSchema } from '../flush/env';
import { MergeConsumerEnvSchema } from '../merge-consumer/env';
import { createObservability } from './observability';
import { createKafka } from './kafka';

const requiredEnv = {
  STAGING_BUCKET: 'bucket',
  SYNC_STATE_TABLE: 'sync-state',
  ANALYTICS_API_BASE_URL: 'http://127.0.0.1:1',
};

function emfOf(metrics: ReturnType<typeof createObservability>['metrics']) {
  metrics.addMetric('Probe', MetricUnit.Count, 1);
  const emf = metrics.serializeMetrics();
  metrics.clearMetrics();
  return { namespace: emf._aws.CloudWatchMetrics[0]?.Namespace, service: emf.service };
}

afterEach(() => vi.restoreAllMocks());

describe('createObservability', () => {
  it('takes the namespace and service name from the Powertools env vars', () => {
    const env = FlushEnvSchema.parse({
      ...requiredEnv,
      POWERTOOLS_METRICS_NAMESPACE: 'EcomSyncStaging',
      POWERTOOLS_SERVICE_NAME: 'flush-blue',
    });
    const { logger, metrics } = createObservability(env);
    expect(emfOf(metrics)).toEqual({ namespace: 'EcomSyncStaging', service: 'flush-blue' });

    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    logger.info('probe');
    vi.restoreAllMocks();
    expect(JSON.parse(lines.join('').trim())).toMatchObject({ service: 'flush-blue' });
  });

  it("defaults to the pipeline namespace and each function's own name", () => {
    expect(emfOf(createObservability(FlushEnvSchema.parse(requiredEnv)).metrics)).toEqual({
      namespace: pipeline.metrics.namespace,
      service: functionNames.flush,
    });
    const mergeEnv = MergeConsumerEnvSchema.parse({ IDEMPOTENCY_TABLE: 't', STAGING_BUCKET: 'b' });
    expect(emfOf(createObservability(mergeEnv).metrics)).toEqual({
      namespace: pipeline.metrics.namespace,
      service: functionNames.mergeConsumer,
    });
  });
});

describe('createKafka', () => {
  it("routes kafkajs's own log lines to the Powertools logger", async () => {
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const kafka = await createKafka(KafkaEnvSchema.parse({ KAFKA_BROKERS: '127.0.0.1:1' }), {
      logger,
    });
    kafka.logger().error('broker unreachable', { broker: '127.0.0.1:1' });
    expect(logger.error.mock.lastCall).toMatchObject([
      'broker unreachable',
      { kafkajs: { broker: '127.0.0.1:1' } },
    ]);
  });
});
