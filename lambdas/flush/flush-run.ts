import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { flushMetrics, staging } from '../shared/pipeline';
import type { StoredObjectSummary } from '../shared/staging-format';
import { keyAt, parseStagedKey, parseStagedObject } from '../shared/staging-format';
import type { FlushDeps, PayloadManifest, PayloadResult } from './outbox';
import {
  deliverOrPark,
  locateBatches,
  readManifest,
  settleDelivered,
  writeManifest,
} from './outbox';
import type { PackLimits, StagedEntry } from './packing';
import { PayloadPacker } from './packing';

export interface FlushSettings {
  limits: PackLimits;
  /** Epoch ms: no new payload is started after it, and retries give up before it. */
  deadline: number;
}

export interface FlushSummary {
  status: 'ok';
  payloads: PayloadResult[];
  /** Manifests of an interrupted earlier run that this run finished. */
  resumed: number;
  /** Staging copies of batches already in delivered/ (removed without re-posting). */
  alreadyDelivered: number;
  quarantined: number;
  /** Staged objects left for the next run. */
  remaining: number;
  stoppedEarly?: 'deadline' | 'analytics-unavailable';
}

type StopReason = NonNullable<FlushSummary['stoppedEarly']>;

/**
 * One scheduled flush: finish any payload an earlier run left in the outbox, then pack the
 * staged batches oldest first, POST each payload and move its batches out of staging only after
 * a 2xx. A payload that cannot be delivered is parked under dlq/; after a retryable failure the
 * run stops, leaving the rest staged for the next run instead of parking everything while
 * Analytics is down.
 */
export async function runFlush(deps: FlushDeps, settings: FlushSettings): Promise<FlushSummary> {
  const startedAt = deps.now();
  const summary: FlushSummary = {
    status: 'ok',
    payloads: [],
    resumed: 0,
    alreadyDelivered: 0,
    quarantined: 0,
    remaining: 0,
  };
  const stop = (reason: StopReason): void => {
    summary.stoppedEarly ??= reason;
  };
  // A function, not the property: `send` sets it while the loop below runs.
  const stopped = (): boolean => summary.stoppedEarly !== undefined;
  const record = (result: PayloadResult): void => {
    summary.payloads.push(result);
    if (result.status === 'deferred') stop('deadline');
    if (result.status === 'failed' && result.retryable) stop('analytics-unavailable');
  };

  const held = await resumeOutbox(deps, settings.deadline, summary, stop, record);

  const stagedObjects = sortOldestFirst(await deps.store.list(staging.prefixes.staging)).filter(
    (object) => !held.has(object.key),
  );
  const oldest = stagedObjects.reduce(
    (min, object) => Math.min(min, object.lastModified.getTime()),
    startedAt,
  );
  deps.metrics.addMetric(
    flushMetrics.oldestStagedBatchAgeSeconds,
    MetricUnit.Seconds,
    Math.max(0, Math.round((startedAt - oldest) / 1000)),
  );

  let handled = 0;
  const packer = new PayloadPacker(settings.limits);
  const send = async (group: StagedEntry[]): Promise<void> => {
    if (deps.now() >= settings.deadline) {
      stop('deadline');
      return;
    }
    const manifest = await writeManifest(deps, group);
    const carried = group.map((entry) => ({ entry, place: 'staging' as const }));
    const result = await deliverOrPark(deps, manifest, carried, settings.deadline);
    record(result);
    // A deferred payload's batches stay staged (held by its manifest) for the next run.
    if (result.status !== 'deferred') handled += group.length;
  };

  for (const { key } of stagedObjects) {
    if (stopped()) break;
    if (await deps.store.exists(keyAt(key, 'delivered'))) {
      // Re-staged after delivery (e.g. a producer retry): Analytics has it already.
      await deps.store.delete(key);
      summary.alreadyDelivered += 1;
      handled += 1;
      continue;
    }
    const raw = await deps.store.get(key);
    const read = parseStagedObject(key, raw);
    if (read.kind !== 'valid') {
      if (raw !== undefined && read.kind === 'invalid') {
        await quarantine(deps, key, raw, read.reason);
        summary.quarantined += 1;
      }
      handled += 1;
      continue;
    }
    const entry = { stagedKey: key, batch: read.batch };
    if (!packer.fits(entry)) await send(packer.take());
    if (stopped()) break;
    packer.add(entry);
  }
  if (!stopped() && !packer.isEmpty) await send(packer.take());

  summary.remaining = stagedObjects.length - handled;
  deps.metrics.addMetric(
    flushMetrics.flushLatencyMs,
    MetricUnit.Milliseconds,
    deps.now() - startedAt,
  );
  deps.logger.info('Flush finished', {
    payloads: summary.payloads.length,
    delivered: summary.payloads.filter((payload) => payload.status === 'delivered').length,
    failed: summary.payloads.filter((payload) => payload.status === 'failed').length,
    resumed: summary.resumed,
    alreadyDelivered: summary.alreadyDelivered,
    quarantined: summary.quarantined,
    remaining: summary.remaining,
    stoppedEarly: summary.stoppedEarly,
  });
  return summary;
}

/**
 * Finishes the payloads an interrupted run left in `outbox/`: re-posts each exactly as before
 * (Analytics answers a repeat by its Idempotency-Key) and settles it. Returns the staged keys
 * of every manifest (parked ones included), which the packing must leave alone.
 */
async function resumeOutbox(
  deps: FlushDeps,
  deadline: number,
  summary: FlushSummary,
  stop: (reason: StopReason) => void,
  record: (result: PayloadResult) => void,
): Promise<Set<string>> {
  const held = new Set<string>();
  for (const object of await deps.store.list(staging.prefixes.outbox)) {
    let manifest: PayloadManifest | undefined;
    try {
      manifest = await readManifest(deps.store, object.key);
    } catch (error) {
      deps.logger.error('Unreadable manifest left for an operator', { key: object.key, error });
      continue;
    }
    if (manifest === undefined) continue;
    for (const batch of manifest.batches) held.add(batch.stagedKey);
    if (manifest.parked) continue; // waits for a redrive

    const carried = await locateBatches(deps.store, manifest);
    if (typeof carried === 'string') {
      deps.logger.error('Manifest refers to batches it cannot find; left for an operator', {
        eventId: manifest.eventId,
        problem: carried,
      });
      continue;
    }
    if (carried.some((batch) => batch.place === 'delivered')) {
      // Batches reach delivered/ only after a 2xx, so one there means Analytics has the whole
      // payload and only the moves were interrupted: finish them without re-posting (a failed
      // re-post would otherwise park a payload that was already delivered).
      await settleDelivered(deps, manifest, carried);
      summary.resumed += 1;
      continue;
    }
    if (summary.stoppedEarly || deps.now() >= deadline) {
      stop('deadline');
      continue;
    }
    summary.resumed += 1;
    record(await deliverOrPark(deps, manifest, carried, deadline));
  }
  return held;
}

/**
 * A staged object that can never be delivered is moved to `dlq/` (same path) and reported on
 * `analytics_dlq`, so it neither blocks the flush nor disappears. The DLQ message goes first: a
 * crash before the move leaves the object in staging, to be reported again (at least once).
 */
async function quarantine(
  deps: Pick<FlushDeps, 'store' | 'dlq' | 'metrics' | 'logger'>,
  key: string,
  raw: string,
  reason: string,
): Promise<void> {
  const quarantineKey = keyAt(key, 'dlq');
  const batchId = parseStagedKey(key)?.batchId;
  await deps.dlq.publish([
    {
      stage: 'flush',
      reason: `invalid staged object: ${reason}`,
      attempts: 0,
      origin: { s3Keys: [quarantineKey], ...(batchId ? { batchIds: [batchId] } : {}) },
      record: raw,
    },
  ]);
  await deps.store.copy(key, quarantineKey);
  await deps.store.delete(key);
  deps.metrics.addMetric(flushMetrics.dlqMessages, MetricUnit.Count, 1);
  deps.logger.error('Quarantined an invalid staged object', { key, quarantineKey, reason });
}

/** Staged objects oldest first: by the key's date path, then LastModified, then key. */
function sortOldestFirst(objects: readonly StoredObjectSummary[]): StoredObjectSummary[] {
  const datePath = (key: string): string => parseStagedKey(key)?.datePath ?? '';
  return [...objects].sort(
    (a, b) =>
      datePath(a.key).localeCompare(datePath(b.key)) ||
      a.lastModified.getTime() - b.lastModified.getTime() ||
      a.key.localeCompare(b.key),
  );
}
