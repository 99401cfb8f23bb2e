import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { flushMetrics, staging } from '../shared/pipeline';
import type { FlushDeps } from './outbox';
import { deliverOrPark, locateBatches, readManifests } from './outbox';

export interface ParkedPayloadSummary {
  eventId: string;
  batchCount: number;
  reason: string;
  attempts: number;
  parkedAt: string;
}

export interface RedriveSummary {
  status: 'ok';
  redriven: { eventId: string; batches: number; records: number }[];
  failed: { eventId: string; reason: string }[];
  /** Parked payloads not tried this time (deadline, or Analytics still unavailable). */
  skipped: string[];
  notFound: string[];
}

/** The parked payloads, for operators (`{ "action": "list-dlq" }`). */
export async function listParked(deps: Pick<FlushDeps, 'store'>): Promise<ParkedPayloadSummary[]> {
  return (await readManifests(deps.store)).flatMap(({ manifest }) =>
    manifest?.parked
      ? [{ eventId: manifest.eventId, batchCount: manifest.batches.length, ...manifest.parked }]
      : [],
  );
}

/**
 * Re-posts parked payloads unchanged (Analytics may have stored one whose answer was lost: only
 * the same Idempotency-Key keeps it from duplicating records); on failure they stay parked.
 */
export async function redriveParked(
  deps: FlushDeps,
  deadline: number,
  eventId?: string,
): Promise<RedriveSummary> {
  const summary: RedriveSummary = {
    status: 'ok',
    redriven: [],
    failed: [],
    skipped: [],
    notFound: [],
  };
  let stopped = false;
  for (const { key, manifest, error } of await readManifests(deps.store, eventId)) {
    if (error) {
      const id = key.slice(staging.prefixes.outbox.length).replace(/\.json$/, '');
      summary.failed.push({ eventId: id, reason: error.message });
      continue;
    }
    if (!manifest?.parked) {
      // Not parked (yet): the next scheduled flush posts it.
      if (eventId !== undefined) summary.notFound.push(eventId);
      continue;
    }
    if (stopped || deps.now() >= deadline) {
      summary.skipped.push(manifest.eventId);
      continue;
    }
    const carried = await locateBatches(deps.store, manifest);
    if (typeof carried === 'string') {
      summary.failed.push({ eventId: manifest.eventId, reason: carried });
      continue;
    }
    const result = await deliverOrPark(deps, manifest, carried, deadline, false);
    if (result.status === 'delivered') {
      deps.metrics.addMetric(flushMetrics.batchesRedriven, MetricUnit.Count, result.batches);
      const { batches, records } = result;
      summary.redriven.push({ eventId: manifest.eventId, batches, records });
      continue;
    }
    // Deferred is no verdict on the payload: this invocation ran out of time; it stays parked.
    if (result.status === 'deferred') summary.skipped.push(manifest.eventId);
    else summary.failed.push({ eventId: manifest.eventId, reason: result.reason });
    stopped ||= result.status === 'deferred' || result.retryable;
  }
  deps.logger.info('Redrive finished', {
    redriven: summary.redriven.length,
    failed: summary.failed,
    skipped: summary.skipped.length,
    notFound: summary.notFound,
  });
  return summary;
}
