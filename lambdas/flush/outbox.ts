import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import type { AnalyticsPayload } from '../shared/analytics-payload';
import type { DlqPublisher } from '../shared/dlq';
import type { DlqTopic } from './dlq-topic';
import type { HttpClient } from '../shared/http-client';
import { HttpStatusError, RetriesExhaustedError, joinUrl } from '../shared/http-client';
import { flushMetrics, staging } from '../shared/pipeline';
import type { StagedPlace, StagingStore } from '../shared/staging-format';
import { parseJson } from '../shared/config';
import { keyAt, parseStagedObject } from '../shared/staging-format';
import type { StagedEntry } from './packing';
import { buildPayload, entryRecords, eventIdFor } from './packing';

export type DeliveryOutcome =
  | { delivered: true; status: number }
  | {
      delivered: false;
      reason: string;
      attempts: number;
      /** false for an answer that retrying cannot change (non-retryable 4xx, 3xx). */
      retryable: boolean;
      /** The run's own time budget ended the retries, not Analytics: try again next run, do not park. */
      deadlineReached?: boolean;
    };

export interface AnalyticsPoster {
  /** Posts one payload, retrying inside the deadline; never throws for HTTP failures. */
  post(payload: AnalyticsPayload, deadline: number): Promise<DeliveryOutcome>;
}

/**
 * POSTs to `<baseUrl>/analytics/data` (a path prefix such as an API Gateway stage is kept) with
 * the eventId as `Idempotency-Key`; authentication is the HttpClient's fetch (api-auth.ts).
 * `maxAttempts` is the client's: it reports "attempts used up" and "the deadline came first" with
 * one error class, so fewer attempts than this means the deadline stopped it.
 */
export function createAnalyticsPoster(options: {
  http: Pick<HttpClient, 'request'>;
  baseUrl: string;
  maxAttempts: number;
}): AnalyticsPoster {
  const url = joinUrl(options.baseUrl, '/analytics/data');
  return {
    async post(payload, deadline) {
      try {
        const response = await options.http.request({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json', 'idempotency-key': payload.eventId },
          body: JSON.stringify(payload),
          deadline,
        });
        if (response.status >= 200 && response.status <= 299)
          return { delivered: true, status: response.status };
        const reason = `unexpected HTTP ${response.status} from Analytics`;
        return { delivered: false, reason, attempts: 1, retryable: false };
      } catch (error) {
        // The client gives up on the first non-retryable answer; earlier 5xx are not counted.
        if (error instanceof HttpStatusError)
          return { delivered: false, reason: error.message, attempts: 1, retryable: false };
        if (error instanceof RetriesExhaustedError) {
          const { message: reason, attempts } = error;
          const deadlineReached = attempts < options.maxAttempts;
          return { delivered: false, reason, attempts, retryable: true, deadlineReached };
        }
        // Circuit open or anything else the client surfaced: nothing reached Analytics.
        const reason = error instanceof Error ? error.message : String(error);
        return { delivered: false, reason, attempts: 0, retryable: true };
      }
    },
  };
}

/** Everything the flush functions talk to, passed in so tests can substitute any of it. */
export interface FlushDeps {
  store: StagingStore;
  poster: AnalyticsPoster;
  dlq: Pick<DlqPublisher, 'publish'>;
  /** The DLQ topic's dead-lettered records, and replay groups (commands.ts). */
  topic: Pick<DlqTopic, 'listFailed' | 'redriveFailed' | 'seek' | 'redeliver'>;
  metrics: Pick<Metrics, 'addMetric'>;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  now: () => number;
}

/** The base class of flush's own errors; names are literals (the bundle is minified). */
export class FlushError extends Error {
  override name = 'FlushError';
}

/**
 * `outbox/<eventId>.json`: one payload's grouping, written before its POST and deleted last, so a
 * crash-restart re-posts exactly it under the same Idempotency-Key; `parked` once given up on
 * (README.md, "Why the outbox" and its crash analysis).
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

/** The manifests under `outbox/` (or the one of `eventId`): each read, absent, or why it is unreadable. */
export async function readManifests(store: Pick<StagingStore, 'get' | 'list'>, eventId?: string) {
  const keys = eventId
    ? [manifestKey(eventId)]
    : (await store.list(staging.prefixes.outbox)).map((object) => object.key);
  const reads: { key: string; manifest?: PayloadManifest; error?: FlushError }[] = [];
  for (const key of keys) {
    const text = await store.get(key);
    const read =
      text === undefined ? undefined : parseJson(PayloadManifestSchema, text, 'manifest');
    if (read === undefined) reads.push({ key });
    else if ('reason' in read) reads.push({ key, error: new FlushError(`${key}: ${read.reason}`) });
    else reads.push({ key, manifest: read.data });
  }
  return reads;
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
 * Each batch of a manifest, from `delivered/` (copied there only after a 2xx), else `staging/`,
 * else `dlq/` (parked, or a parking that was interrupted); a message when one is missing or invalid.
 */
export async function locateBatches(store: Pick<StagingStore, 'get'>, manifest: PayloadManifest) {
  const carried: CarriedBatch[] = [];
  batches: for (const { batchId, stagedKey } of manifest.batches) {
    for (const place of ['delivered', 'staging', 'dlq'] as const) {
      const read = parseStagedObject(stagedKey, await store.get(keyAt(stagedKey, place)));
      if (read.kind === 'missing') continue;
      if (read.kind === 'invalid')
        return `batch ${keyAt(stagedKey, place)} is invalid: ${read.reason}`;
      carried.push({ entry: { stagedKey, batch: read.batch }, place });
      continue batches;
    }
    return `batch ${batchId} is missing`;
  }
  return carried;
}

/**
 * Gives up on a payload: one message on `analytics_dlq`, its batches moved to `dlq/`, the manifest
 * marked parked last (a crash before the mark: the next run posts it again, and may announce it
 * again: at least once).
 */
async function parkPayload(
  deps: FlushDeps,
  manifest: PayloadManifest,
  carried: readonly CarriedBatch[],
  { reason, attempts }: { reason: string; attempts: number },
): Promise<void> {
  const { eventId } = manifest;
  const parkedKeys = carried.map(({ entry }) => keyAt(entry.stagedKey, 'dlq'));
  const batchIds = manifest.batches.map((batch) => batch.batchId);
  const origin = { eventId, batchIds, s3Keys: [manifestKey(eventId), ...parkedKeys] };
  await deps.dlq.publish([{ stage: 'flush', reason, attempts, origin }]);
  deps.metrics.addMetric(flushMetrics.dlqMessages, MetricUnit.Count, 1);
  for (const { entry, place } of carried)
    if (place !== 'dlq')
      await deps.store.copy(keyAt(entry.stagedKey, place), keyAt(entry.stagedKey, 'dlq'));
  for (const { entry } of carried) await deps.store.delete(keyAt(entry.stagedKey, 'staging'));
  const parked = { reason, attempts, parkedAt: new Date(deps.now()).toISOString() };
  await deps.store.put(manifestKey(eventId), JSON.stringify({ ...manifest, parked }));
  const fields = { eventId, batches: carried.length, reason, attempts };
  deps.metrics.addMetric(flushMetrics.batchesParked, MetricUnit.Count, fields.batches);
  deps.logger.error('Parked an undeliverable payload under dlq/', fields);
}

export type PayloadResult = { eventId: string; batches: number; records: number } & (
  | { status: 'delivered' }
  /** failed: parked (or, redriven, left parked); deferred: the run's deadline ended the retries. */
  | { status: 'failed' | 'deferred'; reason: string; attempts: number; retryable: boolean }
);

/**
 * Posts the payload a manifest describes (rebuilt in manifest order with its timestamp: byte for
 * byte every earlier attempt's) unless a batch is in `delivered/` already, and settles it:
 * delivered, parked when `park` (a redrive leaves it parked), or, when the run's deadline ended the
 * retries, left as it is for the next run. HTTP failures are reported, never thrown.
 */
export async function deliverOrPark(
  deps: FlushDeps,
  manifest: PayloadManifest,
  carried: readonly CarriedBatch[],
  deadline: number,
  park = true,
): Promise<PayloadResult> {
  const { eventId } = manifest;
  const entries = carried.map((batch) => batch.entry);
  const records = entries.reduce((sum, entry) => sum + entryRecords(entry), 0);
  const counts = { eventId, batches: carried.length, records };
  let outcome: DeliveryOutcome = { delivered: true, status: 200 };
  if (!carried.some((batch) => batch.place === 'delivered')) {
    const payload = buildPayload(entries, manifest.timestamp);
    if (payload.eventId !== eventId)
      throw new FlushError(`payload eventId ${payload.eventId} does not match ${eventId}`);
    const startedAt = deps.now();
    outcome = await deps.poster.post(payload, deadline);
    deps.metrics.addMetric(flushMetrics.analyticsPosts, MetricUnit.Count, 1);
    deps.logger.info('Posted a payload to Analytics', {
      ...outcome,
      eventId,
      batchIds: payload.metadata.batchIds,
      customers: payload.metadata.customerCount,
      products: payload.metadata.productCount,
      elapsedMs: deps.now() - startedAt,
    });
  }
  if (outcome.delivered) {
    // Batches moved to `delivered/`, the manifest deleted last.
    for (const { entry, place } of carried) {
      if (place !== 'delivered')
        await deps.store.copy(keyAt(entry.stagedKey, place), keyAt(entry.stagedKey, 'delivered'));
      // Every other copy goes (deleting an absent key succeeds and costs nothing).
      await deps.store.delete(keyAt(entry.stagedKey, 'staging'));
      await deps.store.delete(keyAt(entry.stagedKey, 'dlq'));
    }
    await deps.store.delete(manifestKey(eventId));
    deps.metrics.addMetric(flushMetrics.batchesDelivered, MetricUnit.Count, carried.length);
    deps.metrics.addMetric(flushMetrics.recordsDelivered, MetricUnit.Count, records);
    return { ...counts, status: 'delivered' };
  }
  const { reason, attempts, retryable } = outcome;
  if (outcome.deadlineReached) {
    deps.logger.warn('Deadline reached while posting; the payload waits', { eventId, reason });
    return { ...counts, status: 'deferred', reason, attempts, retryable };
  }
  if (park) await parkPayload(deps, manifest, carried, outcome);
  return { ...counts, status: 'failed', reason, attempts, retryable };
}

export type ParkedPayloadSummary = { eventId: string; batchCount: number } & NonNullable<
  PayloadManifest['parked']
>;

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
export async function redriveParked(deps: FlushDeps, deadline: number, eventId?: string) {
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
