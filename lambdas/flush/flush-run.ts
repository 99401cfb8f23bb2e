import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metricNames, staging } from '../shared/pipeline';
import type { FlushDeps, FlushSettings } from './deps';
import type { CarriedBatch, PayloadResult } from './delivery';
import { deliverOrPark, settleDelivered, writeOutboxManifest } from './delivery';
import type { OutboxManifest } from './manifests';
import { OutboxManifestSchema, parseManifest } from './manifests';
import {
  deliveredKeyFor,
  outboxKeyFor,
  parkedManifestKeyFor,
  parseStagedKey,
} from '../shared/staging-format';
import type { StagedEntry } from './packing';
import { PayloadPacker } from './packing';
import { quarantineStaged, readStaged, sortOldestFirst, validateStaged } from './staged-batches';

export interface FlushSummary {
  status: 'ok';
  payloads: PayloadResult[];
  /** Outbox manifests of an interrupted earlier run that this run finished. */
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
  const record = (result: PayloadResult): void => {
    summary.payloads.push(result);
    if (result.status === 'deferred') stop('deadline');
    if (result.status === 'failed' && result.retryable) stop('analytics-unavailable');
  };

  const heldByOutbox = await resumeOutbox(deps, settings.deadline, summary, stop, record);

  const stagedObjects = sortOldestFirst(await deps.store.list(staging.prefixes.staging)).filter(
    (object) => !heldByOutbox.has(object.key),
  );
  const oldest = stagedObjects.reduce<number | undefined>(
    (min, object) => Math.min(min ?? Infinity, object.lastModified.getTime()),
    undefined,
  );
  deps.metrics.addMetric(
    metricNames.oldestStagedBatchAgeSeconds,
    MetricUnit.Seconds,
    oldest === undefined ? 0 : Math.max(0, Math.round((startedAt - oldest) / 1000)),
  );

  let handled = 0;
  const packer = new PayloadPacker(settings.limits);
  const send = async (group: StagedEntry[]): Promise<void> => {
    if (deps.now() >= settings.deadline) return stop('deadline');
    const manifest = await writeOutboxManifest(deps, group);
    const carried = group.map((entry) => ({ entry, currentKey: entry.stagedKey }));
    const result = await deliverOrPark(deps, manifest, carried, settings.deadline);
    record(result);
    // A deferred payload's batches stay staged (held by its outbox manifest) for the next run.
    if (result.status !== 'deferred') handled += group.length;
  };

  for (const object of stagedObjects) {
    if (summary.stoppedEarly) break;
    if (parseStagedKey(object.key) && (await deps.store.exists(deliveredKeyFor(object.key)))) {
      // Re-staged after delivery (e.g. a producer retry): Analytics has it already.
      await deps.store.delete(object.key);
      summary.alreadyDelivered += 1;
      handled += 1;
      continue;
    }
    const read = await readStaged(deps, object.key);
    if (read.kind === 'missing') {
      handled += 1;
      continue;
    }
    if (read.kind === 'invalid') {
      await quarantineStaged(deps, object.key, read.raw, read.reason);
      summary.quarantined += 1;
      handled += 1;
      continue;
    }
    if (!packer.fits(read.entry)) await send(packer.take());
    if (summary.stoppedEarly) break;
    packer.add(read.entry);
  }
  if (!summary.stoppedEarly && !packer.isEmpty) await send(packer.take());

  summary.remaining = stagedObjects.length - handled;
  deps.metrics.addMetric(
    metricNames.flushLatencyMs,
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
 * still held by manifests it could not finish, which the packing must leave alone.
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
    const text = await deps.store.get(object.key);
    if (text === undefined) continue;
    let manifest: OutboxManifest;
    try {
      manifest = parseManifest(OutboxManifestSchema, text, object.key);
    } catch (error) {
      deps.logger.error('Unreadable outbox manifest left for an operator', {
        key: object.key,
        error: (error as Error).message,
      });
      continue;
    }
    const hold = (): void => manifest.batches.forEach((batch) => held.add(batch.stagedKey));

    if (await deps.store.exists(parkedManifestKeyFor(manifest.eventId))) {
      // Parking was under way: the parked copies and their manifest are complete.
      for (const batch of manifest.batches) await deps.store.delete(batch.stagedKey);
      await deps.store.delete(object.key);
      summary.resumed += 1;
      continue;
    }
    const carried = await locateBatches(deps, manifest);
    if (!carried) {
      deps.logger.error('Outbox manifest refers to batches that are gone; left for an operator', {
        eventId: manifest.eventId,
      });
      hold();
      continue;
    }
    if (carried.some((batch) => batch.currentKey === deliveredKeyFor(batch.entry.stagedKey))) {
      // Batches reach delivered/ only after a 2xx, so one there means Analytics has the whole
      // payload and only the moves were interrupted: finish them without re-posting (a failed
      // re-post would otherwise park a payload that was already delivered).
      await settleDelivered(deps, outboxKeyFor(manifest.eventId), carried);
      summary.resumed += 1;
      continue;
    }
    if (summary.stoppedEarly || deps.now() >= deadline) {
      stop('deadline');
      hold();
      continue;
    }
    summary.resumed += 1;
    const result = await deliverOrPark(deps, manifest, carried, deadline);
    record(result);
    if (result.status === 'deferred') hold();
  }
  return held;
}

/**
 * Finds each batch of a manifest in delivered/ (a copy there means it was delivered: copies are
 * made only after a 2xx) or else still in staging/.
 */
async function locateBatches(
  deps: Pick<FlushDeps, 'store'>,
  manifest: OutboxManifest,
): Promise<CarriedBatch[] | undefined> {
  const carried: CarriedBatch[] = [];
  for (const ref of manifest.batches) {
    const deliveredKey = deliveredKeyFor(ref.stagedKey);
    const deliveredRaw = await deps.store.get(deliveredKey);
    const read =
      deliveredRaw === undefined
        ? await readStaged(deps, ref.stagedKey)
        : validateStaged(ref.stagedKey, deliveredRaw);
    if (read.kind !== 'valid') return undefined;
    carried.push({
      entry: read.entry,
      currentKey: deliveredRaw === undefined ? ref.stagedKey : deliveredKey,
    });
  }
  return carried;
}
