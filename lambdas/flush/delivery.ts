import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metricNames } from '../shared/pipeline';
import type { DeliveryOutcome } from './analytics-poster';
import type { FlushDeps } from './deps';
import type { OutboxManifest, ParkedManifest, ParkingPointer } from './manifests';
import {
  deliveredKeyFor,
  outboxKeyFor,
  parkedBatchKeyFor,
  parkedManifestKeyFor,
  parkedPointerKeyFor,
} from '../shared/staging-format';
import type { StagedEntry } from './packing';
import { buildPayload, entryRecords, eventIdFor } from './packing';
import { moveObject } from './staging-store';

/** A batch in a payload, and where its object is right now (staging/, delivered/ or dlq/). */
export interface CarriedBatch {
  entry: StagedEntry;
  currentKey: string;
}

export type PayloadResult =
  | { eventId: string; status: 'delivered'; batches: number; records: number }
  | {
      eventId: string;
      status: 'failed';
      batches: number;
      records: number;
      reason: string;
      attempts: number;
      retryable: boolean;
    }
  | {
      /** The run's deadline ended the retries: outbox manifest kept, batches still staged. */
      eventId: string;
      status: 'deferred';
      batches: number;
      records: number;
      reason: string;
      attempts: number;
    };

/** Writes the payload's grouping to the outbox, so a crash-restart re-posts it unchanged. */
export async function writeOutboxManifest(
  deps: Pick<FlushDeps, 'store' | 'now'>,
  entries: readonly StagedEntry[],
): Promise<OutboxManifest> {
  const manifest: OutboxManifest = {
    eventId: eventIdFor(entries.map((entry) => entry.batch.batchId)),
    timestamp: new Date(deps.now()).toISOString(),
    batches: entries.map((entry) => ({ batchId: entry.batch.batchId, stagedKey: entry.stagedKey })),
  };
  await deps.store.put(outboxKeyFor(manifest.eventId), JSON.stringify(manifest));
  return manifest;
}

/**
 * POSTs the payload a manifest describes, rebuilt from its batches in manifest order with the
 * manifest's timestamp: byte-for-byte the payload of every earlier attempt.
 */
export async function postManifest(
  deps: Pick<FlushDeps, 'poster' | 'metrics' | 'logger' | 'now'>,
  manifest: OutboxManifest,
  carried: readonly CarriedBatch[],
  deadline: number,
): Promise<DeliveryOutcome> {
  const payload = buildPayload(
    carried.map((batch) => batch.entry),
    manifest.timestamp,
  );
  if (payload.eventId !== manifest.eventId) {
    throw new Error(
      `payload eventId ${payload.eventId} does not match manifest ${manifest.eventId}`,
    );
  }
  const startedAt = deps.now();
  const outcome = await deps.poster.post(payload, deadline);
  deps.metrics.addMetric(metricNames.analyticsPosts, MetricUnit.Count, 1);
  deps.logger.info('Posted a payload to Analytics', {
    eventId: manifest.eventId,
    batchIds: payload.metadata.batchIds,
    customers: payload.metadata.customerCount,
    products: payload.metadata.productCount,
    delivered: outcome.delivered,
    ...(outcome.delivered ? {} : { reason: outcome.reason, attempts: outcome.attempts }),
    elapsedMs: deps.now() - startedAt,
  });
  return outcome;
}

/**
 * After a 2xx: every batch goes to `delivered/<date path>/<batchId>.json` (copy, then delete),
 * and the control object (outbox or parked manifest) goes last, so a crash anywhere in between
 * leaves enough behind to finish the job without re-grouping.
 */
export async function settleDelivered(
  deps: Pick<FlushDeps, 'store' | 'metrics'>,
  manifestKey: string,
  carried: readonly CarriedBatch[],
  options: { parked?: boolean } = {},
): Promise<{ batches: number; records: number }> {
  let records = 0;
  for (const batch of carried) {
    const deliveredKey = deliveredKeyFor(batch.entry.stagedKey);
    if (batch.currentKey !== deliveredKey)
      await moveObject(deps.store, batch.currentKey, deliveredKey);
    // A copy left in staging by an interrupted move (or re-staged) is already delivered.
    else await deps.store.delete(batch.entry.stagedKey);
    // Before the manifest goes, so a crash here leaves the redrive to finish (and retry this).
    if (options.parked) await deps.store.delete(parkedPointerKeyFor(batch.entry.batch.batchId));
    records += entryRecords(batch.entry);
  }
  await deps.store.delete(manifestKey);
  deps.metrics.addMetric(metricNames.batchesDelivered, MetricUnit.Count, carried.length);
  deps.metrics.addMetric(metricNames.recordsDelivered, MetricUnit.Count, records);
  return { batches: carried.length, records };
}

/**
 * Gives up on a payload: one message on `analytics_dlq`, then the batches parked under
 * `dlq/<eventId>/` with a manifest, so a redrive re-posts exactly this grouping with this
 * eventId (Analytics may have stored it and only the answer was lost). The message goes first:
 * a crash before parking completes leaves the outbox manifest, and the next run tries again.
 * Each batch also gets a pointer `dlq/by-batch/<batchId>.json`, written before the parked
 * manifest (whose presence tells a resumed run that parking is complete) and so before the
 * staging copy is deleted: a batch is always findable by its id alone.
 */
export async function parkPayload(
  deps: Pick<FlushDeps, 'store' | 'dlq' | 'metrics' | 'logger' | 'now'>,
  manifest: OutboxManifest,
  carried: readonly CarriedBatch[],
  failure: { reason: string; attempts: number },
): Promise<void> {
  const parkedKeys = carried.map((batch) =>
    parkedBatchKeyFor(manifest.eventId, batch.entry.batch.batchId),
  );
  const manifestKey = parkedManifestKeyFor(manifest.eventId);
  await deps.dlq.publish([
    {
      stage: 'flush',
      reason: failure.reason,
      attempts: failure.attempts,
      origin: {
        eventId: manifest.eventId,
        batchIds: manifest.batches.map((batch) => batch.batchId),
        s3Keys: [manifestKey, ...parkedKeys],
      },
    },
  ]);
  deps.metrics.addMetric(metricNames.dlqMessages, MetricUnit.Count, 1);

  for (const [index, batch] of carried.entries()) {
    const parkedKey = parkedKeys[index] as string;
    if (batch.currentKey !== parkedKey) await deps.store.copy(batch.currentKey, parkedKey);
  }
  for (const [index, batch] of carried.entries()) {
    const pointer: ParkingPointer = {
      eventId: manifest.eventId,
      key: parkedKeys[index] as string,
    };
    await deps.store.put(parkedPointerKeyFor(batch.entry.batch.batchId), JSON.stringify(pointer));
  }
  const parked: ParkedManifest = {
    ...manifest,
    reason: failure.reason,
    attempts: failure.attempts,
    parkedAt: new Date(deps.now()).toISOString(),
  };
  await deps.store.put(manifestKey, JSON.stringify(parked));
  for (const [index, batch] of carried.entries()) {
    if (batch.currentKey !== parkedKeys[index]) await deps.store.delete(batch.currentKey);
  }
  await deps.store.delete(outboxKeyFor(manifest.eventId));
  deps.metrics.addMetric(metricNames.batchesParked, MetricUnit.Count, carried.length);
  deps.logger.error('Parked an undeliverable payload under dlq/', {
    eventId: manifest.eventId,
    batches: carried.length,
    reason: failure.reason,
    attempts: failure.attempts,
  });
}

/**
 * Posts a payload and settles it: delivered, parked, or (when the run's own deadline stopped the
 * retries) left exactly as it is, outbox manifest and staged batches, for the next run to
 * re-post under the same key. The outcome is reported, never thrown.
 */
export async function deliverOrPark(
  deps: FlushDeps,
  manifest: OutboxManifest,
  carried: readonly CarriedBatch[],
  deadline: number,
): Promise<PayloadResult> {
  const records = carried.reduce((sum, batch) => sum + entryRecords(batch.entry), 0);
  const outcome = await postManifest(deps, manifest, carried, deadline);
  if (outcome.delivered) {
    await settleDelivered(deps, outboxKeyFor(manifest.eventId), carried);
    return { eventId: manifest.eventId, status: 'delivered', batches: carried.length, records };
  }
  if (outcome.deadlineReached) {
    deps.logger.warn('Deadline reached while posting; the payload waits for the next run', {
      eventId: manifest.eventId,
      reason: outcome.reason,
      attempts: outcome.attempts,
    });
    return {
      eventId: manifest.eventId,
      status: 'deferred',
      batches: carried.length,
      records,
      reason: outcome.reason,
      attempts: outcome.attempts,
    };
  }
  await parkPayload(deps, manifest, carried, outcome);
  return {
    eventId: manifest.eventId,
    status: 'failed',
    batches: carried.length,
    records,
    reason: outcome.reason,
    attempts: outcome.attempts,
    retryable: outcome.retryable,
  };
}
