import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Producer } from 'kafkajs';
import type { DlqPublisher } from '../shared/dlq';
import type { SyncType } from '../shared/envelope';
import { CircuitOpenError, HttpStatusError, RetriesExhaustedError } from '../shared/http-client';
import type { HttpClient } from '../shared/http-client';
import type { SourceName, sources } from '../shared/pipeline';
import { metricNames, pipeline } from '../shared/pipeline';
import { SyncStateConflictError, laterOf } from '../shared/sync-state';
import type { SyncState, SyncStateStore } from '../shared/sync-state';
import type { SourcePage } from '../shared/records';
import { manualRunRefusal, mayAdvanceWatermark, parsePollRequest, planRun } from './poll-request';
import { publishEnvelopes } from './publish';
import { MalformedPageError, fetchSourcePage } from './source-api';
import { validatePageItems } from './validate-items';

export type PollSource = (typeof sources)[SourceName];

export interface PollerSettings {
  pageSize: number;
  overlapSeconds: number;
  deadlineMarginMs: number;
  sendBatchSize: number;
  /** An `updatedAt` further ahead of our clock than this is dead-lettered, not watermarked. */
  maxClockSkewSeconds: number;
}

export const defaultPollerSettings: PollerSettings = {
  pageSize: pipeline.poller.pageSize,
  overlapSeconds: pipeline.poller.overlapSeconds,
  deadlineMarginMs: pipeline.poller.deadlineMarginMs,
  sendBatchSize: pipeline.poller.sendBatchSize,
  maxClockSkewSeconds: pipeline.poller.maxClockSkewSeconds,
};

/** The part of a Powertools `Metrics` the poller uses; tests pass a counting fake. */
export interface MetricsSink {
  addMetric(
    name: string,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    value: number,
  ): unknown;
}

export interface PollDeps {
  http: Pick<HttpClient, 'request'>;
  producer: Pick<Producer, 'send'>;
  syncState: SyncStateStore;
  dlq: Pick<DlqPublisher, 'publish'>;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
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
  /** Defaults to the source's topic in pipeline.ts; injectable so tests can isolate. */
  topic?: string;
  settings?: PollerSettings;
  apiToken?: string;
  /** The raw invocation event: scheduled, `{ mode: 'full' }` or `{ since }`. */
  event: unknown;
}

export interface PollResult {
  /** complete: watermark advanced; partial: stopped at the deadline, cursor saved; failed: see reason. */
  status: 'complete' | 'partial' | 'failed';
  source: string;
  syncType: SyncType;
  resumed: boolean;
  pages: number;
  fetched: number;
  published: number;
  invalid: number;
  watermark?: string;
  reason?: string;
}

/**
 * One poll of one source (DESIGN.md, correctness protocol 1): page through the source API,
 * dead-letter invalid items, publish valid ones with acks=-1, save the cursor after each fully
 * acked page, and advance the watermark only when the last page is acked.
 *
 * Source-API trouble (breaker open, retries exhausted, non-retryable 4xx, malformed page) and a
 * concurrent run ends the run with `status: 'failed'` and the watermark where it was: it is
 * expected, the next schedule retries, and throwing would make Lambda's async retries hammer an
 * API that is already struggling. Kafka/DynamoDB failures (our own infrastructure) are thrown,
 * so the invocation fails and the Lambda error alarm fires.
 */
export async function runPoll(deps: PollDeps, input: PollRequestInput): Promise<PollResult> {
  const startedMs = performance.now();
  const settings = input.settings ?? defaultPollerSettings;
  const { source: sourceName, eventType, path } = input.source;
  const topic = input.topic ?? input.source.topic;

  const request = parsePollRequest(input.event);
  let state: SyncState | undefined = await deps.syncState.read(sourceName);
  const plan = planRun(request, state, settings.overlapSeconds, deps.now());
  deps.logger.info('poll started', {
    source: sourceName,
    syncType: plan.syncType,
    updatedSince: plan.since,
    resumed: plan.resumed,
    watermark: state?.watermark,
  });

  const counts = { pages: 0, fetched: 0, published: 0, invalid: 0 };
  let cursor = plan.cursor;
  let runMaxUpdatedAt = plan.runMaxUpdatedAt;
  const finish = (status: PollResult['status'], reason?: string): PollResult => {
    const result: PollResult = {
      status,
      source: sourceName,
      syncType: plan.syncType,
      resumed: plan.resumed,
      ...counts,
      ...(state?.watermark === undefined ? {} : { watermark: state.watermark }),
      ...(reason === undefined ? {} : { reason }),
    };
    const log = status === 'failed' ? deps.logger.error : deps.logger.info;
    log.call(deps.logger, 'poll finished', { ...result, hasCursor: state?.cursor !== undefined });
    return result;
  };

  type FetchOutcome = { page: SourcePage } | { error: unknown };
  // Never rejects, so a prefetch that is abandoned (deadline, failed publish) cannot become an
  // unhandled rejection.
  const fetchPage = (pageCursor: string | undefined, remainingMs: number): Promise<FetchOutcome> =>
    fetchSourcePage({
      http: deps.http,
      baseUrl: input.baseUrl,
      path,
      query: {
        limit: settings.pageSize,
        ...(plan.since === undefined ? {} : { updatedSince: plan.since }),
        ...(pageCursor === undefined ? {} : { cursor: pageCursor }),
      },
      ...(input.apiToken === undefined ? {} : { apiToken: input.apiToken }),
      // Leave half the margin for publishing what we already have and saving the cursor.
      deadline: Date.now() + remainingMs - settings.deadlineMarginMs / 2,
    }).then(
      (page) => ({ page }),
      (error: unknown) => ({ error }),
    );
  let prefetched: { cursor: string; outcome: Promise<FetchOutcome> } | undefined;
  let savedCursorReset = false;

  try {
    const refusal = manualRunRefusal(request, state);
    if (refusal !== undefined) return finish('failed', refusal);

    for (;;) {
      const remainingMs = deps.remainingTimeMs();
      if (remainingMs < settings.deadlineMarginMs) {
        return finish(
          'partial',
          `less than ${settings.deadlineMarginMs} ms left; resumes from the saved cursor`,
        );
      }

      // The page may already be on its way: it was requested while the previous one was being
      // published (API latency and Kafka acks overlap instead of adding up).
      const outcome = await (prefetched !== undefined && prefetched.cursor === cursor
        ? prefetched.outcome
        : fetchPage(cursor, remainingMs));
      prefetched = undefined;
      if ('error' in outcome) {
        if (
          plan.resumed &&
          !savedCursorReset &&
          cursor === plan.cursor &&
          isRejectedCursor(outcome.error)
        ) {
          // A saved cursor can expire (or the API can forget it) between invocations; keeping it
          // would fail every scheduled run forever. Restarting from the run's own updatedSince
          // re-reads what the earlier invocations published (the consumer dedupes it) and loses
          // nothing.
          savedCursorReset = true;
          cursor = undefined;
          deps.logger.warn('saved cursor rejected by the source API; restarting the run', {
            source: sourceName,
            status: outcome.error.status,
            syncType: plan.syncType,
            updatedSince: plan.since,
          });
          deps.metrics.addMetric(metricNames.cursorReset, MetricUnit.Count, 1);
          continue;
        }
        if (isSourceApiFailure(outcome.error)) {
          return finish('failed', `source API: ${outcome.error.message}`);
        }
        throw outcome.error;
      }
      const { page } = outcome;
      if (page.nextCursor) {
        prefetched = { cursor: page.nextCursor, outcome: fetchPage(page.nextCursor, remainingMs) };
      }
      counts.pages += 1;
      counts.fetched += page.items.length;

      const validated = validatePageItems(page.items, {
        eventType,
        source: sourceName,
        syncType: plan.syncType,
        now: deps.now(),
        maxClockSkewSeconds: settings.maxClockSkewSeconds,
      });
      if (validated.invalid.length > 0) {
        for (const item of validated.invalid) {
          deps.logger.warn('invalid record sent to the DLQ', {
            source: sourceName,
            recordId: item.id,
            issues: item.issuePaths,
          });
        }
        await deps.dlq.publish(
          validated.invalid.map((item) => ({
            stage: 'poll' as const,
            reason: item.reason,
            attempts: 1,
            origin: { source: sourceName },
            record: item.raw,
          })),
        );
        counts.invalid += validated.invalid.length;
      }
      await publishEnvelopes(deps.producer, topic, validated.envelopes, settings.sendBatchSize);
      counts.published += validated.envelopes.length;
      // Why max(updatedAt) and not the run's start time: it is the source's own clock, so clock
      // skew between Lambda and the source cannot skip records; the API orders by (updatedAt,
      // id) with an inclusive updatedSince, and a record changed mid-run gets a later updatedAt
      // than anything seen, so the next incremental poll (minus the overlap) still finds it.
      runMaxUpdatedAt = laterOf(runMaxUpdatedAt, validated.maxUpdatedAt);

      if (page.nextCursor) {
        cursor = page.nextCursor;
        state = await deps.syncState.saveCursor(state, sourceName, {
          cursor,
          syncType: plan.syncType,
          ...(plan.since === undefined ? {} : { since: plan.since }),
          runStartedAt: plan.runStartedAt,
          ...(runMaxUpdatedAt === undefined ? {} : { runMaxUpdatedAt }),
        });
        continue;
      }
      const coversWatermark = mayAdvanceWatermark(plan.since, state?.watermark);
      if (!coversWatermark) {
        deps.logger.info('run started after the watermark; the watermark stays where it was', {
          source: sourceName,
          updatedSince: plan.since,
          watermark: state?.watermark,
        });
      }
      state = await deps.syncState.advanceWatermark(
        state,
        sourceName,
        coversWatermark ? runMaxUpdatedAt : undefined,
      );
      return finish('complete');
    }
  } catch (error) {
    if (error instanceof SyncStateConflictError) return finish('failed', error.message);
    throw error;
  } finally {
    const { metrics } = deps;
    metrics.addMetric(metricNames.pagesFetched, MetricUnit.Count, counts.pages);
    metrics.addMetric(metricNames.recordsFetched, MetricUnit.Count, counts.fetched);
    metrics.addMetric(metricNames.recordsPublished, MetricUnit.Count, counts.published);
    metrics.addMetric(metricNames.recordsInvalid, MetricUnit.Count, counts.invalid);
    metrics.addMetric(
      metricNames.pollDurationMs,
      MetricUnit.Milliseconds,
      performance.now() - startedMs,
    );
  }
}

/** What an API answers for an expired or unknown cursor (400 bad, 404 unknown, 410 gone). */
function isRejectedCursor(error: unknown): error is HttpStatusError {
  return error instanceof HttpStatusError && [400, 404, 410].includes(error.status);
}

function isSourceApiFailure(error: unknown): error is Error {
  return (
    error instanceof CircuitOpenError ||
    error instanceof RetriesExhaustedError ||
    error instanceof HttpStatusError ||
    error instanceof MalformedPageError
  );
}
