import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import type { DlqPublisher } from '../shared/dlq';
import { flushMetrics, staging } from '../shared/pipeline';
import type { StagedPlace, StagingStore } from '../shared/staging-format';
import { keyAt, parseStagedObject } from '../shared/staging-format';
import type { AnalyticsPoster, DeliveryOutcome } from './analytics-poster';
import type { StagedEntry } from './packing';
import { buildPayload, entryRecords, eventIdFor } from './packing';

/** Everything the flush functions talk to, passed in so tests can substitute any of it. */
export interface FlushDeps {
  store: StagingStore;
  poster: AnalyticsPoster;
  dlq: Pick<DlqPublisher, 'publish'>;
  metrics: Pick<Metrics, 'addMetric'>;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  now: () => number;
}

/** The base class of flush's own errors. */
export class FlushError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * `outbox/<eventId>.json`: one payload's grouping, written BEFORE its POST and deleted only after
 * its batches reached `delivered/`. If flush dies after Analytics stored the payload but before
 * the batches moved, the next run re-posts exactly this grouping (same eventId, timestamp and
 * batch order), so the Idempotency-Key absorbs the repeat instead of a regrouped payload
 * duplicating records. `parked` is set once the payload was given up on: its batches are in
 * `dlq/` and only a redrive posts it again, unchanged.
 */
export const PayloadManifestSchema = z.object({
  eventId: z.string().regex(/^[0-9a-f]{64}$/),
  timestamp: z.iso.datetime({ offset: true }),
  batches: z.array(z.object({ batchId: z.string().min(1), stagedKey: z.string().min(1) })).min(1),
  parked: z
    .object({
      reason: z.string().min(1),
      attempts: z.number().int().nonnegative(),
      parkedAt: z.iso.datetime({ offset: true }),
    })
    .optional(),
});
export type PayloadManifest = z.infer<typeof PayloadManifestSchema>;

export function manifestKey(eventId: string): string {
  return `${staging.prefixes.outbox}${eventId}.json`;
}

/** The manifest under `key`, undefined when there is none; a broken one is reported, not guessed at. */
export async function readManifest(
  store: Pick<StagingStore, 'get'>,
  key: string,
): Promise<PayloadManifest | undefined> {
  const text = await store.get(key);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FlushError(`${key} is not JSON`, { cause: error });
  }
  const parsed = PayloadManifestSchema.safeParse(json);
  if (!parsed.success)
    throw new FlushError(`${key} is not a valid manifest: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** A new payload's manifest, written before its POST. */
export async function writeManifest(
  deps: Pick<FlushDeps, 'store' | 'now'>,
  entries: readonly StagedEntry[],
): Promise<PayloadManifest> {
  const manifest: PayloadManifest = {
    eventId: eventIdFor(entries.map((entry) => entry.batch.batchId)),
    timestamp: new Date(deps.now()).toISOString(),
    batches: entries.map((entry) => ({ batchId: entry.batch.batchId, stagedKey: entry.stagedKey })),
  };
  await deps.store.put(manifestKey(manifest.eventId), JSON.stringify(manifest));
  return manifest;
}

/** A batch in a payload, and where its object is right now. */
export interface CarriedBatch {
  entry: StagedEntry;
  place: StagedPlace;
}

/**
 * Each batch of a manifest, from `delivered/` (a copy there means the payload was delivered:
 * batches are copied there only after a 2xx), else `staging/`, else `dlq/` (parked, or a parking
 * that was interrupted). A message when one is missing or invalid.
 */
export async function locateBatches(
  store: Pick<StagingStore, 'get'>,
  manifest: PayloadManifest,
): Promise<CarriedBatch[] | string> {
  const carried: CarriedBatch[] = [];
  for (const { batchId, stagedKey } of manifest.batches) {
    let found: CarriedBatch | undefined;
    for (const place of ['delivered', 'staging', 'dlq'] as const) {
      const read = parseStagedObject(stagedKey, await store.get(keyAt(stagedKey, place)));
      if (read.kind === 'missing') continue;
      if (read.kind === 'invalid')
        return `batch ${keyAt(stagedKey, place)} is invalid: ${read.reason}`;
      found = { entry: { stagedKey, batch: read.batch }, place };
      break;
    }
    if (!found) return `batch ${batchId} is missing`;
    carried.push(found);
  }
  return carried;
}

/**
 * POSTs the payload a manifest describes, rebuilt from its batches in manifest order with the
 * manifest's timestamp: byte-for-byte the payload of every earlier attempt.
 */
export async function postManifest(
  deps: Pick<FlushDeps, 'poster' | 'metrics' | 'logger' | 'now'>,
  manifest: PayloadManifest,
  carried: readonly CarriedBatch[],
  deadline: number,
): Promise<DeliveryOutcome> {
  const payload = buildPayload(
    carried.map((batch) => batch.entry),
    manifest.timestamp,
  );
  if (payload.eventId !== manifest.eventId)
    throw new FlushError(`payload eventId ${payload.eventId} does not match ${manifest.eventId}`);
  const startedAt = deps.now();
  const outcome = await deps.poster.post(payload, deadline);
  deps.metrics.addMetric(flushMetrics.analyticsPosts, MetricUnit.Count, 1);
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
 * After a 2xx: every batch is copied to `delivered/` and its other copies deleted (S3 deletes of
 * absent keys succeed, and cost nothing), then the manifest goes, last: a crash anywhere in
 * between leaves the manifest and a batch in `delivered/`, and the next run finishes the moves.
 */
export async function settleDelivered(
  deps: Pick<FlushDeps, 'store' | 'metrics'>,
  manifest: PayloadManifest,
  carried: readonly CarriedBatch[],
): Promise<{ batches: number; records: number }> {
  let records = 0;
  for (const { entry, place } of carried) {
    if (place !== 'delivered')
      await deps.store.copy(keyAt(entry.stagedKey, place), keyAt(entry.stagedKey, 'delivered'));
    await deps.store.delete(keyAt(entry.stagedKey, 'staging'));
    await deps.store.delete(keyAt(entry.stagedKey, 'dlq'));
    records += entryRecords(entry);
  }
  await deps.store.delete(manifestKey(manifest.eventId));
  deps.metrics.addMetric(flushMetrics.batchesDelivered, MetricUnit.Count, carried.length);
  deps.metrics.addMetric(flushMetrics.recordsDelivered, MetricUnit.Count, records);
  return { batches: carried.length, records };
}

/**
 * Gives up on a payload: one message on `analytics_dlq`, then its batches move to `dlq/` (same
 * path) and, last, the manifest is marked parked, so a redrive re-posts exactly this grouping
 * with this eventId (Analytics may have stored it and only the answer was lost). A crash before
 * the mark leaves an unparked manifest whose batches are in `staging/` or `dlq/`: the next run
 * posts it again (and may announce it again: at least once).
 */
export async function parkPayload(
  deps: Pick<FlushDeps, 'store' | 'dlq' | 'metrics' | 'logger' | 'now'>,
  manifest: PayloadManifest,
  carried: readonly CarriedBatch[],
  failure: { reason: string; attempts: number },
): Promise<void> {
  const parkedKeys = carried.map(({ entry }) => keyAt(entry.stagedKey, 'dlq'));
  await deps.dlq.publish([
    {
      stage: 'flush',
      reason: failure.reason,
      attempts: failure.attempts,
      origin: {
        eventId: manifest.eventId,
        batchIds: manifest.batches.map((batch) => batch.batchId),
        s3Keys: [manifestKey(manifest.eventId), ...parkedKeys],
      },
    },
  ]);
  deps.metrics.addMetric(flushMetrics.dlqMessages, MetricUnit.Count, 1);
  for (const { entry, place } of carried)
    if (place !== 'dlq')
      await deps.store.copy(keyAt(entry.stagedKey, place), keyAt(entry.stagedKey, 'dlq'));
  for (const { entry } of carried) await deps.store.delete(keyAt(entry.stagedKey, 'staging'));
  const parked: PayloadManifest = {
    ...manifest,
    parked: {
      reason: failure.reason,
      attempts: failure.attempts,
      parkedAt: new Date(deps.now()).toISOString(),
    },
  };
  await deps.store.put(manifestKey(manifest.eventId), JSON.stringify(parked));
  deps.metrics.addMetric(flushMetrics.batchesParked, MetricUnit.Count, carried.length);
  deps.logger.error('Parked an undeliverable payload under dlq/', {
    eventId: manifest.eventId,
    batches: carried.length,
    reason: failure.reason,
    attempts: failure.attempts,
  });
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
      /** The run's deadline ended the retries: manifest kept, batches still staged. */
      eventId: string;
      status: 'deferred';
      batches: number;
      records: number;
      reason: string;
      attempts: number;
    };

/**
 * Posts a payload and settles it: delivered, parked, or (when the run's own deadline stopped the
 * retries) left exactly as it is, manifest and staged batches, for the next run to re-post under
 * the same key. The outcome is reported, never thrown.
 */
export async function deliverOrPark(
  deps: FlushDeps,
  manifest: PayloadManifest,
  carried: readonly CarriedBatch[],
  deadline: number,
): Promise<PayloadResult> {
  const counts = {
    eventId: manifest.eventId,
    batches: carried.length,
    records: carried.reduce((sum, batch) => sum + entryRecords(batch.entry), 0),
  };
  const outcome = await postManifest(deps, manifest, carried, deadline);
  if (outcome.delivered) {
    await settleDelivered(deps, manifest, carried);
    return { ...counts, status: 'delivered' };
  }
  const { reason, attempts } = outcome;
  if (outcome.deadlineReached) {
    deps.logger.warn('Deadline reached while posting; the payload waits for the next run', {
      eventId: manifest.eventId,
      reason,
      attempts,
    });
    return { ...counts, status: 'deferred', reason, attempts };
  }
  await parkPayload(deps, manifest, carried, outcome);
  return { ...counts, status: 'failed', reason, attempts, retryable: outcome.retryable };
}
