import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { flushMetrics, staging } from '../shared/pipeline';
import { keyAt, parseStagedKey, parseStagedObject } from '../shared/staging-format';
import type { FlushDeps, PayloadResult } from './outbox';
import { deliverOrPark, locateBatches, readManifests, writeManifest } from './outbox';
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
  stoppedEarly?: 'deadline' | 'analytics-unavailable' | 'unreadable-manifest';
}

/**
 * One scheduled flush: finish what an earlier run left in the outbox, then pack the staged batches
 * oldest first and deliver each payload. After a retryable failure the run stops, leaving the rest
 * staged instead of parking everything while Analytics is down.
 */
export async function runFlush(deps: FlushDeps, settings: FlushSettings): Promise<FlushSummary> {
  const { deadline } = settings;
  const startedAt = deps.now();
  const counts = { resumed: 0, alreadyDelivered: 0, quarantined: 0, remaining: 0 };
  const summary: FlushSummary = { status: 'ok', payloads: [], ...counts };
  // Read through a function: `record` sets it while the loops below run.
  const stopped = (): boolean => summary.stoppedEarly !== undefined;
  const record = (result: PayloadResult): void => {
    summary.payloads.push(result);
    if (result.status === 'deferred') summary.stoppedEarly ??= 'deadline';
    if (result.status === 'failed' && result.retryable)
      summary.stoppedEarly ??= 'analytics-unavailable';
  };

  // The outbox first: re-post each unparked manifest exactly as before (Analytics answers a repeat
  // by its Idempotency-Key). Every manifest's batches, parked ones included, are left out of packing.
  const held = new Set<string>();
  let unreadable = false;
  for (const { key, manifest, error } of await readManifests(deps.store)) {
    if (error) {
      deps.logger.error('Unreadable manifest; packing waits for an operator', { key, error });
      unreadable = true;
    }
    if (!manifest) continue;
    for (const batch of manifest.batches) held.add(batch.stagedKey);
    if (manifest.parked) continue; // waits for a redrive
    const carried = await locateBatches(deps.store, manifest);
    if (typeof carried === 'string') {
      const fields = { eventId: manifest.eventId, problem: carried };
      deps.logger.error('Manifest refers to batches it cannot find; left for an operator', fields);
      continue;
    }
    // A batch in delivered/ means Analytics has the payload: only the moves are left, no re-post.
    const posts = !carried.some((batch) => batch.place === 'delivered');
    if (posts && (stopped() || deps.now() >= deadline)) {
      summary.stoppedEarly ??= 'deadline';
      continue;
    }
    summary.resumed += 1;
    const result = await deliverOrPark(deps, manifest, carried, deadline);
    if (posts) record(result);
  }

  // Which staged batches an unreadable manifest holds is unknown: packing any of them again could
  // deliver a payload Analytics already has under a new Idempotency-Key, so nothing is packed.
  if (unreadable) summary.stoppedEarly ??= 'unreadable-manifest';
  const stagedObjects = (await deps.store.list(staging.prefixes.staging))
    .filter((object) => !held.has(object.key))
    .sort(
      // Oldest first: by the key's date path, then LastModified, then key.
      (a, b) =>
        datePath(a.key).localeCompare(datePath(b.key)) ||
        a.lastModified.getTime() - b.lastModified.getTime() ||
        a.key.localeCompare(b.key),
    );
  const oldest = stagedObjects.reduce(
    (min, object) => Math.min(min, object.lastModified.getTime()),
    startedAt,
  );
  const ageSeconds = Math.max(0, Math.round((startedAt - oldest) / 1000));
  deps.metrics.addMetric(flushMetrics.oldestStagedBatchAgeSeconds, MetricUnit.Seconds, ageSeconds);

  let handled = 0;
  const packer = new PayloadPacker(settings.limits);
  const send = async (group: StagedEntry[]): Promise<void> => {
    if (deps.now() >= deadline) {
      summary.stoppedEarly ??= 'deadline';
      return;
    }
    const manifest = await writeManifest(deps, group);
    const carried = group.map((entry) => ({ entry, place: 'staging' as const }));
    const result = await deliverOrPark(deps, manifest, carried, deadline);
    record(result);
    // A deferred payload's batches stay staged (held by its manifest) for the next run.
    if (result.status !== 'deferred') handled += group.length;
  };

  for (const { key } of stagedObjects) {
    if (stopped()) break;
    if ((await deps.store.get(keyAt(key, 'delivered'))) !== undefined) {
      // Re-staged after delivery (e.g. a producer retry): Analytics has it already.
      await deps.store.delete(key);
      summary.alreadyDelivered += 1;
      handled += 1;
      continue;
    }
    const raw = await deps.store.get(key);
    const read = parseStagedObject(key, raw);
    if (read.kind !== 'valid') {
      if (read.kind === 'invalid' && raw !== undefined) {
        await quarantine(deps, key, raw, read.reason);
        summary.quarantined += 1;
      }
      handled += 1;
      continue;
    }
    const full = packer.add({ stagedKey: key, batch: read.batch });
    if (full) await send(full);
  }
  const last = packer.take();
  if (!stopped() && last.length > 0) await send(last);

  summary.remaining = stagedObjects.length - handled;
  const latencyMs = deps.now() - startedAt;
  deps.metrics.addMetric(flushMetrics.flushLatencyMs, MetricUnit.Milliseconds, latencyMs);
  const { payloads, ...totals } = summary;
  deps.logger.info('Flush finished', {
    ...totals,
    payloads: payloads.length,
    delivered: payloads.filter((payload) => payload.status === 'delivered').length,
    failed: payloads.filter((payload) => payload.status === 'failed').length,
  });
  return summary;
}

const datePath = (key: string): string => parseStagedKey(key)?.datePath ?? '';

/**
 * An invalid staged object is reported on `analytics_dlq`, then moved to `dlq/`: it neither blocks
 * the flush nor disappears (a crash before the move reports it again: at least once).
 */
async function quarantine(deps: FlushDeps, key: string, raw: string, reason: string) {
  const quarantineKey = keyAt(key, 'dlq');
  const batchId = parseStagedKey(key)?.batchId;
  const batchIds = batchId === undefined ? undefined : [batchId];
  const origin = { s3Keys: [quarantineKey], batchIds };
  const why = `invalid staged object: ${reason}`;
  await deps.dlq.publish([{ stage: 'flush', reason: why, attempts: 0, origin, record: raw }]);
  await deps.store.copy(key, quarantineKey);
  await deps.store.delete(key);
  deps.metrics.addMetric(flushMetrics.dlqMessages, MetricUnit.Count, 1);
  deps.logger.error('Quarantined an invalid staged object', { key, quarantineKey, reason });
}
