import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as MetricUnitName } from '@aws-lambda-powertools/metrics/types';
import type { Producer } from 'kafkajs';
import { describeIssues, issuePaths } from '../shared/config';
import type { DlqEntry, DlqPublisher } from '../shared/dlq';
import { z } from 'zod';
import type { Envelope, SyncType } from '../shared/envelope';
import { tombstoneMessage, wrapInEnvelope } from '../shared/envelope';
import type { HttpClient } from '../shared/http-client';
import type { SourceName, sources } from '../shared/pipeline';
import { pipeline, pollerMetrics } from '../shared/pipeline';
import type { DeletedRecord } from '../shared/records';
import { CustomerSchema, DeletedRecordSchema, ProductSchema } from '../shared/records';
import type { StagingStore } from '../shared/staging-format';
import { SyncStateConflictError, laterOf } from '../shared/sync-state';
import type { SyncState, SyncStateStore } from '../shared/sync-state';
import { manualRunRefusal, mayAdvanceWatermark, parsePollRequest, planRun } from './poll-request';
import { KnownIds } from './known-ids';
import type { PageIds } from './known-ids';
import { SourceApiError, sourcePages } from './source-api';

export type PollSource = (typeof sources)[SourceName];

/** The part of a Powertools `Metrics` the poller uses; tests pass a counting fake. */
export interface MetricsSink {
  addMetric(name: string, unit: MetricUnitName, value: number): unknown;
}

export interface PollerSettings {
  pageSize: number;
  overlapSeconds: number;
  deadlineMarginMs: number;
  sendBatchSize: number;
  /** An `updatedAt` further ahead of our clock than this is dead-lettered, not watermarked. */
  maxClockSkewSeconds: number;
}

export interface PollDeps {
  http: Pick<HttpClient, 'request'>;
  producer: Pick<Producer, 'send'>;
  syncState: SyncStateStore;
  dlq: Pick<DlqPublisher, 'publish'>;
  /** The staging bucket, for the source's known ids (`./known-ids.ts`). */
  ids: Pick<StagingStore, 'list' | 'get' | 'put' | 'delete'>;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error' | 'appendKeys' | 'removeKeys'>;
  metrics: MetricsSink;
  /** Business clock: envelope timestamps, run start. */
  now: () => Date;
  /** Milliseconds left in this invocation (Lambda `context.getRemainingTimeInMillis`). */
  remainingTimeMs: () => number;
}

export interface PollRequestInput {
  source: PollSource;
  /** Base URL of the source API (`SOURCE_API_BASE_URL`). */
  baseUrl: string;
  /** The source's topic (`CUSTOMER_TOPIC`/`PRODUCT_TOPIC`). */
  topic: string;
  settings: PollerSettings;
  /** The raw invocation event: scheduled, `{ mode: 'full' }` or `{ since }`. */
  event: unknown;
}

/** What the poller Lambda answers: outcome, counts and watermark (`finish` in runPoll). */
export type PollResult = Awaited<ReturnType<typeof runPoll>>;

/**
 * One poll of one source (docs/DESIGN.md "The correctness protocol", 1); the cursor is saved
 * after each fully acked page, the watermark advanced only when the last page is acked.
 *
 * Source-API trouble (breaker open, retries exhausted, non-retryable 4xx, malformed page) and a
 * concurrent run ends the run with `status: 'failed'` and the watermark where it was: it is
 * expected, the next schedule retries, and throwing would make Lambda's async retries hammer an
 * API that is already struggling. Kafka/DynamoDB failures (our own infrastructure) are thrown,
 * so the invocation fails and the Lambda error alarm fires.
 */
export async function runPoll(deps: PollDeps, input: PollRequestInput) {
  const startedMs = performance.now();
  const { settings } = input;
  const { source, eventType, path } = input.source;
  const request = parsePollRequest(input.event);
  let state = await deps.syncState.read(source);
  const plan = planRun(request, state, settings.overlapSeconds, deps.now());
  // generation: a redeliver run's delivery generation (docs/runbook.md, Resync).
  const { syncType, since, resumed, generation, runStartedAt } = plan;
  const run = { source, syncType, resumed, generation };
  deps.logger.info('poll started', { ...run, updatedSince: since, watermark: state?.watermark });
  // deleted: the hard deletes a completed full listing found (soft deletes count as published).
  const counts = { pages: 0, fetched: 0, published: 0, invalid: 0, deleted: 0 };
  const knownIds = new KnownIds(deps.ids, source, deps.now);
  // complete: watermark advanced; partial: stopped at the deadline, cursor saved; failed: reason.
  const finish = (status: 'complete' | 'partial' | 'failed', reason?: string) => {
    const result = { status, ...run, ...counts, watermark: state?.watermark, reason };
    const hasCursor = state?.cursor !== undefined;
    deps.logger[status === 'failed' ? 'error' : 'info']('poll finished', { ...result, hasCursor });
    return result;
  };
  try {
    const refusal = manualRunRefusal(request, state);
    if (refusal !== undefined) return finish('failed', refusal);
    let runMaxUpdatedAt = plan.runMaxUpdatedAt;
    let complete = false;
    const pages = sourcePages({
      http: deps.http,
      baseUrl: input.baseUrl,
      path,
      limit: settings.pageSize,
      since,
      cursor: plan.cursor,
      remainingMs: deps.remainingTimeMs,
      deadlineMarginMs: settings.deadlineMarginMs,
      onCursorRejected: ({ status }) => {
        const context = { source, status, syncType, updatedSince: since };
        deps.logger.warn('saved cursor rejected by the source API; restarting the run', context);
        deps.metrics.addMetric(pollerMetrics.cursorReset, MetricUnit.Count, 1);
      },
    });
    for await (const page of pages) {
      counts.pages += 1;
      counts.fetched += page.items.length;
      const now = deps.now();
      const latestPlausibleMs = now.getTime() + settings.maxClockSkewSeconds * 1000;
      const messages: PollerMessage[] = [];
      const invalid: DlqEntry[] = [];
      const pageIds: PageIds = { ids: [], deleted: [] };
      for (const item of page.items) {
        const { id: recordId, updatedAt, deletedAt } = LooseItemSchema.parse(item);
        // A soft delete (an item with `deletedAt`) is a tombstone, in read order like the rest.
        const deleted = deletedAt !== undefined && deletedAt !== null;
        if (recordId !== undefined && !deleted) pageIds.ids.push(recordId);
        // Paths and zod codes only are logged, never values (an invalid e-mail is still an
        // e-mail); the reason goes to the DLQ message only (access-controlled topic).
        const reject = (issues: { path: string; code: string }[], reason: string) => {
          deps.logger.warn('invalid record sent to the DLQ', { source, recordId, issues });
          const record = JSON.stringify(item);
          invalid.push({ stage: 'poll', reason, attempts: 1, origin: { source }, record });
        };
        // A future `updatedAt` (beyond the allowed clock skew) is dead-lettered and not
        // watermarked, or one bad record would push the watermark past everything that changes
        // until then. Any other `updatedAt` counts, valid record or not: an invalid one is
        // handled (dead-lettered) and its fixed version will carry a newer `updatedAt` anyway.
        if (updatedAt !== undefined && Date.parse(updatedAt) > latestPlausibleMs) {
          const ahead = `more than ${settings.maxClockSkewSeconds} s ahead of the poller's clock`;
          reject([{ path: 'updatedAt', code: 'future' }], `updatedAt is in the future (${ahead})`);
          continue;
        }
        // Why max(updatedAt) and not the run's start time: it is the source's own clock, so clock
        // skew between Lambda and the source cannot skip records; the API orders by (updatedAt,
        // id) with an inclusive updatedSince, and a record changed mid-run gets a later updatedAt
        // than anything seen, so the next incremental poll (minus the overlap) still finds it.
        runMaxUpdatedAt = laterOf(runMaxUpdatedAt, updatedAt);
        const parsed = (deleted ? DeletedRecordSchema : recordSchemas[eventType]).safeParse(item);
        if (parsed.success) {
          const args = { eventType, source, syncType, now };
          if (deleted) pageIds.deleted.push(parsed.data.id);
          messages.push(
            deleted
              ? tombstoneMessage({ ...args, deleted: parsed.data as DeletedRecord, generation })
              : {
                  ...wrapInEnvelope({ ...args, payload: parsed.data } as EnvelopeArgs),
                  generation,
                },
          );
          continue;
        }
        const { issues } = parsed.error;
        reject(issuePaths(issues), `schema validation failed: ${describeIssues(issues)}`);
      }
      await deps.dlq.publish(invalid);
      counts.invalid += invalid.length;
      await publishEnvelopes(deps, input.topic, messages, settings.sendBatchSize);
      counts.published += messages.length;
      await knownIds.record(pageIds, since === undefined ? runStartedAt : undefined);
      complete = !page.nextCursor;
      if (page.nextCursor) {
        const progress = { cursor: page.nextCursor, syncType, since, generation, runStartedAt };
        state = await deps.syncState.saveCursor(state, source, { ...progress, runMaxUpdatedAt });
      }
    }
    if (!complete) {
      const why = `less than ${settings.deadlineMarginMs} ms left; resumes from the saved cursor`;
      return finish('partial', why);
    }
    const coversWatermark = mayAdvanceWatermark(since, state?.watermark);
    if (!coversWatermark) {
      const stays = { source, updatedSince: since, watermark: state?.watermark };
      deps.logger.info('run started after the watermark; the watermark stays where it was', stays);
    }
    const watermark = coversWatermark ? runMaxUpdatedAt : undefined;
    if (since === undefined && state?.cursor && deps.remainingTimeMs() < completionMs) {
      return finish('partial', `less than ${completionMs} ms left to complete the full listing`);
    }
    const listing =
      since === undefined ? await completeListing(knownIds, deps, input, plan, state) : undefined;
    counts.deleted = listing?.deleted ?? 0;
    state = await deps.syncState.advanceWatermark(state, source, watermark, listing?.saved);
    await listing?.cleanup();
    return finish('complete');
  } catch (error) {
    if (error instanceof SourceApiError || error instanceof SyncStateConflictError) {
      return finish('failed', error.message);
    }
    throw error;
  } finally {
    const add = (name: string, value: number, unit: MetricUnitName = MetricUnit.Count) =>
      deps.metrics.addMetric(name, unit, value);
    add(pollerMetrics.pagesFetched, counts.pages);
    add(pollerMetrics.recordsFetched, counts.fetched);
    add(pollerMetrics.recordsPublished, counts.published);
    add(pollerMetrics.recordsInvalid, counts.invalid);
    add(pollerMetrics.pollDurationMs, performance.now() - startedMs, MetricUnit.Milliseconds);
  }
}

const completionMs = pipeline.poller.listingCompletionMs;

/**
 * A full listing's last page is acked: its hard deletes are published as tombstones deleted at the
 * run's start, and the snapshot the commit will name is saved (docs/DESIGN.md, "Hard deletes").
 */
async function completeListing(
  knownIds: KnownIds,
  deps: PollDeps,
  { source, topic, settings }: PollRequestInput,
  { syncType, runStartedAt }: { syncType: SyncType; runStartedAt: string },
  state: SyncState | undefined,
) {
  const verify = async () => {
    const current = await deps.syncState.read(source.source);
    if (current?.version !== state?.version) throw new SyncStateConflictError(source.source);
  };
  const completion = await knownIds.complete(runStartedAt, state?.knownIds, verify);
  const { deletes } = completion;
  const args = { eventType: source.eventType, source: source.source, syncType, now: deps.now() };
  const tombstone = (id: string) =>
    tombstoneMessage({ ...args, deleted: { id, deletedAt: runStartedAt } });
  await publishEnvelopes(deps, topic, deletes.map(tombstone), settings.sendBatchSize);
  const saved = await completion.save();
  return { deleted: deletes.length, saved, cleanup: () => completion.cleanup(saved) };
}

/** The id and updatedAt of any item, each undefined when it is not usable. */
const LooseItemSchema = z
  .object({
    id: z.string().min(1).max(128).optional().catch(undefined),
    updatedAt: z.iso.datetime({ offset: true }).optional().catch(undefined),
    deletedAt: z.unknown().optional(),
  })
  .catch({});
const recordSchemas = { CUSTOMER: CustomerSchema, PRODUCT: ProductSchema };
type EnvelopeArgs = Parameters<typeof wrapInEnvelope>[0];
/** What a poller publishes: a record's envelope or a delete's tombstone. */
type PollerMessage = Envelope | ReturnType<typeof tombstoneMessage>;

/**
 * Sends envelopes and tombstones in chunks of `batchSize`, one chunk at a time, each acked by all
 * in-sync replicas. Resolves only when every message is durable; rejects on the first failed chunk
 * (earlier chunks stay published: at-least-once, the consumer dedupes). Each acked message is
 * logged at DEBUG with its `messageId` as the Powertools correlation id (DESIGN.md,
 * Observability), the id merge-consumer sees in the envelope.
 */
export async function publishEnvelopes(
  { producer, logger }: Pick<PollDeps, 'producer'> & Partial<Pick<PollDeps, 'logger'>>,
  topic: string,
  envelopes: readonly PollerMessage[],
  batchSize: number,
): Promise<void> {
  for (let start = 0; start < envelopes.length; start += batchSize) {
    const chunk = envelopes.slice(start, start + batchSize);
    const messages = chunk.map((message) => {
      if (!('payload' in message)) return message;
      const { payload, eventType, syncType } = message;
      return { key: payload.id, value: JSON.stringify(message), headers: { eventType, syncType } };
    });
    await producer.send({ topic, acks: -1, messages });
    if (logger === undefined) continue;
    for (const [i, message] of chunk.entries()) {
      const { messageId, eventType } = 'payload' in message ? message : message.headers;
      logger.appendKeys({ correlation_id: messageId });
      logger.debug('record published', { recordId: messages[i]?.key, eventType, topic });
    }
    logger.removeKeys(['correlation_id']);
  }
}
