import { describe, expect, it } from 'vitest';
import { createObservability } from '../shared/observability';
import { functionNames, pipeline } from '../shared/pipeline';
import { MergeConsumerEnvSchema } from './env';

const required = { IDEMPOTENCY_TABLE: 't', STAGING_BUCKET: 'b' };

function emfOf(env: Record<string, string>) {
  const { metrics } = createObservability(MergeConsumerEnvSchema.parse({ ...required, ...env }));
  metrics.addMetric('Probe', 'Count', 1);
  const emf = metrics.serializeMetrics();
  return { namespace: emf._aws.CloudWatchMetrics[0]?.Namespace, service: emf.service };
}

describe('createObservability', () => {
  it('names the metrics namespace and service from POWERTOOLS_* env', () => {
    expect(
      emfOf({ POWERTOOLS_METRICS_NAMESPACE: 'Staging/EcomSync', POWERTOOLS_SERVICE_NAME: 'mc-2' }),
    ).toEqual({ namespace: 'Staging/EcomSync', service: 'mc-2' });
  });

  it('defaults to the pipeline namespace and the function name', () => {
    expect(emfOf({})).toEqual({
      namespace: pipeline.metrics.namespace,
      service: functionNames.mergeConsumer,
    });
  });
});
