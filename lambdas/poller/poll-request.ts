import { z } from 'zod';
import { prettifyOnOneLine } from '../shared/config';
import { describePayload, isScheduledEvent, ScheduledEventSchema } from '../shared/scheduled-event';
import type { SyncState } from '../shared/sync-state';

/**
 * A manual invoke: `{ "mode": "full" }` re-reads everything, `{ "since": "<ISO>" }` re-reads
 * what changed since then. Strict, so a typo (`{ "mode": "ful" }`, `{ "sinse": … }`) is an error
 * instead of silently running a scheduled poll.
 */
const redeliver = { redeliver: z.boolean().optional() };
const FullResyncSchema = z.strictObject({ mode: z.literal('full'), ...redeliver });
const SinceResyncSchema = z.strictObject({ since: z.iso.datetime({ offset: true }), ...redeliver });

type PollRequest = { kind: 'scheduled' } | { kind: 'manual'; since?: string; redeliver?: boolean };

const ACCEPTED_POLL_REQUESTS =
  'an EventBridge scheduled event ({"source":"aws.events","detail-type":"Scheduled Event",…}), {"mode":"full"} or {"since":"<ISO-8601 with offset>"}, either with "redeliver":true';

/** The base class of the poller's own errors; names are literals (the bundle is minified). */
export class PollerError extends Error {
  override name = 'PollerError';
}

export class InvalidPollRequestError extends PollerError {
  override name = 'InvalidPollRequestError';
  constructor(details: string, options?: ErrorOptions) {
    super(`Invalid poll request: ${details}. Send ${ACCEPTED_POLL_REQUESTS}.`, options);
  }
}

/**
 * Only an EventBridge scheduled event starts a scheduled poll, and only the two manual shapes
 * start a resync: anything else (`{}`, a typo, a string, `[]`, `null`) is refused, so a
 * mistyped resync never runs as an incremental poll.
 */
export function parsePollRequest(event: unknown): PollRequest {
  if (isScheduledEvent(event)) return { kind: 'scheduled' };
  const full = FullResyncSchema.safeParse(event);
  if (full.success) return { kind: 'manual', redeliver: full.data.redeliver };
  const since = SinceResyncSchema.safeParse(event);
  if (since.success) return { kind: 'manual', ...since.data };
  throw new InvalidPollRequestError(whyNotAPollRequest(event));
}

/** The errors of the shape the payload comes closest to (by its keys), else what it is. */
function whyNotAPollRequest(event: unknown): string {
  const isObject = typeof event === 'object' && event !== null && !Array.isArray(event);
  const closest = !isObject
    ? undefined
    : 'since' in event
      ? SinceResyncSchema
      : 'mode' in event
        ? FullResyncSchema
        : 'source' in event || 'detail-type' in event
          ? ScheduledEventSchema
          : undefined;
  const result = closest?.safeParse(event);
  if (!result || result.success) return `got ${describePayload(event)}`;
  return prettifyOnOneLine(result.error);
}

/**
 * Why a manual request is refused, or undefined if it may run. A saved cursor means a run is
 * in progress (scheduled or an earlier resync); starting over would throw its remainder away,
 * and its records between its `since` and ours would never be read. Refusing is simpler to
 * reason about than merging the two runs, and the in-progress run finishes on its own schedule.
 */
export function manualRunRefusal(
  request: PollRequest,
  state: SyncState | undefined,
): string | undefined {
  if (request.kind !== 'manual' || state?.cursor === undefined) return undefined;
  return `a scheduled sync is in progress (${state.cursorSyncType ?? 'unknown'} run started ${state.runStartedAt ?? 'earlier'}); retry later`;
}

/**
 * A run may move the watermark only if it read everything from the watermark on: a run with
 * no `since` (FULL, `{mode:'full'}`) or one whose `since` is at or before the stored watermark
 * (INCREMENTAL always is). A `{since}` resync that starts later skipped the records between the
 * watermark and `since`; moving the watermark past them would mean nobody ever reads them.
 */
export function mayAdvanceWatermark(
  since: string | undefined,
  storedWatermark: string | undefined,
): boolean {
  if (since === undefined) return true;
  if (storedWatermark === undefined) return false;
  return Date.parse(since) <= Date.parse(storedWatermark);
}

/**
 * - manual → RESYNC from the request's `since` (or everything); callers check
 *   `manualRunRefusal` first, so there is no saved cursor to lose;
 * - scheduled with a saved cursor → resume that run with its own syncType and since;
 * - scheduled without a watermark → FULL; otherwise INCREMENTAL from watermark - overlap.
 */
export function planRun(
  request: PollRequest,
  state: SyncState | undefined,
  overlapSeconds: number,
  now: Date,
) {
  const runStartedAt = now.toISOString();
  const fresh = { runStartedAt, resumed: false };
  if (request.kind === 'manual') {
    // The run's start names its generation: unique per source, the same in every invocation of it.
    const generation = request.redeliver === true ? runStartedAt : undefined;
    return { ...fresh, syncType: 'RESYNC' as const, since: request.since, generation };
  }
  if (state?.cursor !== undefined && state.cursorSyncType !== undefined) {
    return {
      syncType: state.cursorSyncType,
      since: state.cursorSince,
      generation: state.cursorGeneration,
      cursor: state.cursor,
      runStartedAt: state.runStartedAt ?? runStartedAt,
      runMaxUpdatedAt: state.runMaxUpdatedAt,
      resumed: true,
    };
  }
  if (state?.watermark === undefined) return { ...fresh, syncType: 'FULL' as const };
  const since = overlapStart(state.watermark, overlapSeconds);
  return { ...fresh, syncType: 'INCREMENTAL' as const, since };
}

export function overlapStart(watermark: string, overlapSeconds: number): string {
  return new Date(Date.parse(watermark) - overlapSeconds * 1000).toISOString();
}
