import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { flushMetrics, staging } from '../shared/pipeline';
import type { FlushDeps, PayloadManifest } from './outbox';
import { locateBatches, manifestKey, postManifest, readManifest, settleDelivered } from './outbox';

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

type ManifestRead = { key: string; manifest?: PayloadManifest; error?: Error };

/** Every manifest under `outbox/` (or the one of `eventId`), read. */
async function readManifests(
  deps: Pick<FlushDeps, 'store'>,
  eventId?: string,
): Promise<ManifestRead[]> {
  const keys = eventId
    ? [manifestKey(eventId)]
    : (await deps.store.list(staging.prefixes.outbox)).map((object) => object.key);
  const reads: ManifestRead[] = [];
  for (const key of keys) {
    try {
      const manifest = await readManifest(deps.store, key);
      reads.push(manifest === undefined ? { key } : { key, manifest });
    } catch (error) {
      reads.push({ key, error: error as Error });
    }
  }
  return reads;
}

const eventIdOf = (key: string): string =>
  key.slice(staging.prefixes.outbox.length).replace(/\.json$/, '');

/** The parked payloads, for operators (`{ "action": "list-dlq" }`). */
export async function listParked(deps: Pick<FlushDeps, 'store'>): Promise<ParkedPayloadSummary[]> {
  return (await readManifests(deps)).flatMap(({ manifest }) =>
    manifest?.parked
      ? [{ eventId: manifest.eventId, batchCount: manifest.batches.length, ...manifest.parked }]
      : [],
  );
}

/**
 * Re-posts parked payloads with their ORIGINAL grouping, timestamp and eventId: Analytics may
 * have stored one whose answer was lost, and only the same Idempotency-Key keeps the re-post from
 * duplicating its records. On a 2xx the batches move to delivered/; on failure they stay parked.
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
  for (const { key, manifest, error } of await readManifests(deps, eventId)) {
    if (error) {
      summary.failed.push({ eventId: eventIdOf(key), reason: error.message });
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
    const outcome = carried.some((batch) => batch.place === 'delivered')
      ? ({ delivered: true, status: 200 } as const) // a previous redrive got as far as moving them
      : await postManifest(deps, manifest, carried, deadline);
    if (!outcome.delivered && outcome.deadlineReached) {
      // Not a verdict on the payload: this invocation ran out of time; it stays parked.
      summary.skipped.push(manifest.eventId);
      stopped = true;
      continue;
    }
    if (!outcome.delivered) {
      summary.failed.push({ eventId: manifest.eventId, reason: outcome.reason });
      if (outcome.retryable) stopped = true;
      continue;
    }
    const settled = await settleDelivered(deps, manifest, carried);
    deps.metrics.addMetric(flushMetrics.batchesRedriven, MetricUnit.Count, settled.batches);
    summary.redriven.push({ eventId: manifest.eventId, ...settled });
  }
  deps.logger.info('Redrive finished', {
    redriven: summary.redriven.length,
    failed: summary.failed,
    skipped: summary.skipped.length,
    notFound: summary.notFound,
  });
  return summary;
}
