import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metricNames, staging } from '../shared/pipeline';
import type { FlushDeps } from './deps';
import type { CarriedBatch } from './delivery';
import { postManifest, settleDelivered } from './delivery';
import type { ParkedManifest } from './manifests';
import { ParkedManifestSchema, parseManifest } from './manifests';
import {
  deliveredKeyFor,
  eventIdOfParkedManifest,
  parkedBatchKeyFor,
  parkedManifestKeyFor,
} from '../shared/staging-format';
import { validateStaged } from './staged-batches';

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
  const parked: ParkedPayloadSummary[] = [];
  for (const key of await parkedManifestKeys(deps)) {
    const text = await deps.store.get(key);
    if (text === undefined) continue;
    const manifest = parseManifest(ParkedManifestSchema, text, key);
    parked.push({
      eventId: manifest.eventId,
      batchCount: manifest.batches.length,
      reason: manifest.reason,
      attempts: manifest.attempts,
      parkedAt: manifest.parkedAt,
    });
  }
  return parked;
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
  const keys = eventId ? [parkedManifestKeyFor(eventId)] : await parkedManifestKeys(deps);
  let stopped = false;
  for (const key of keys) {
    const text = await deps.store.get(key);
    if (text === undefined) {
      summary.notFound.push(eventIdOfParkedManifest(key) ?? key);
      continue;
    }
    let manifest: ParkedManifest;
    try {
      manifest = parseManifest(ParkedManifestSchema, text, key);
    } catch (error) {
      summary.failed.push({
        eventId: eventIdOfParkedManifest(key) ?? key,
        reason: (error as Error).message,
      });
      continue;
    }
    if (stopped || deps.now() >= deadline) {
      summary.skipped.push(manifest.eventId);
      continue;
    }
    const carried = await locateParkedBatches(deps, manifest);
    if (typeof carried === 'string') {
      summary.failed.push({ eventId: manifest.eventId, reason: carried });
      continue;
    }
    const outcome = carried.every(
      (batch) => batch.currentKey === deliveredKeyFor(batch.entry.stagedKey),
    )
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
    const settled = await settleDelivered(deps, key, carried, { parked: true });
    deps.metrics.addMetric(metricNames.batchesRedriven, MetricUnit.Count, settled.batches);
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

/** Only `dlq/<eventId>/manifest.json`: `dlq/by-batch/` pointers and `dlq/invalid/` never match. */
async function parkedManifestKeys(deps: Pick<FlushDeps, 'store'>): Promise<string[]> {
  const objects = await deps.store.list(staging.prefixes.dlq);
  return objects
    .map((object) => object.key)
    .filter((key) => eventIdOfParkedManifest(key) !== undefined);
}

/** Each parked batch, from dlq/ or, if an interrupted redrive already moved it, delivered/. */
async function locateParkedBatches(
  deps: Pick<FlushDeps, 'store'>,
  manifest: ParkedManifest,
): Promise<CarriedBatch[] | string> {
  const carried: CarriedBatch[] = [];
  for (const ref of manifest.batches) {
    const candidates = [
      parkedBatchKeyFor(manifest.eventId, ref.batchId),
      deliveredKeyFor(ref.stagedKey),
    ];
    let found: CarriedBatch | undefined;
    for (const currentKey of candidates) {
      const raw = await deps.store.get(currentKey);
      if (raw === undefined) continue;
      const read = validateStaged(ref.stagedKey, raw);
      if (read.kind === 'invalid') return `parked batch ${currentKey} is invalid: ${read.reason}`;
      if (read.kind === 'missing') continue;
      found = { entry: read.entry, currentKey };
      break;
    }
    if (!found) return `parked batch ${ref.batchId} is missing`;
    carried.push(found);
  }
  return carried;
}
