import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DlqPublisher } from '../shared/dlq';
import type { AnalyticsPoster } from './analytics-poster';
import type { PackLimits } from './packing';
import type { StagingStore } from './staging-store';

/** Everything the flush functions talk to, passed in so tests can substitute any of it. */
export interface FlushDeps {
  store: StagingStore;
  poster: AnalyticsPoster;
  dlq: Pick<DlqPublisher, 'publish'>;
  metrics: Pick<Metrics, 'addMetric'>;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  now: () => number;
}

export interface FlushSettings {
  limits: PackLimits;
  /** Epoch ms: no new payload is started after it, and retries give up before it. */
  deadline: number;
}
