import { HttpError, HttpStatusError, joinUrl } from '../shared/http-client';
import type { HttpClient } from '../shared/http-client';
import { SourcePageSchema } from '../shared/records';
import type { SourcePage } from '../shared/records';
import { PollerError } from './poll-request';

/**
 * The source API failed the way APIs do (breaker open, retries exhausted, a non-retryable 4xx, a
 * 2xx that is not a page): the run ends as `failed`, the watermark stays, the next schedule
 * retries. `status` is the HTTP status of a refused request.
 */
export class SourceApiError extends PollerError {
  override name = 'SourceApiError';
  readonly status: number | undefined;
  constructor(message: string, options: { cause?: unknown; status?: number | undefined } = {}) {
    super(`source API: ${message}`, { cause: options.cause });
    this.status = options.status;
  }
}

/** One page; items stay `unknown` so each is validated (and dead-lettered) on its own. */
export async function fetchSourcePage(
  http: Pick<HttpClient, 'request'>,
  url: string,
  deadline: number,
): Promise<SourcePage> {
  const headers = { accept: 'application/json' };
  const request = http.request({ method: 'GET', url, headers, deadline });
  const { body } = await request.catch((error: unknown) => {
    if (!(error instanceof HttpError)) throw error;
    const status = error instanceof HttpStatusError ? error.status : undefined;
    throw new SourceApiError(error.message, { cause: error, status });
  });
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    const message = `malformed page: body is not JSON (${body.length} bytes)`;
    throw new SourceApiError(message, { cause: error });
  }
  const parsed = SourcePageSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    throw new SourceApiError(`malformed page: ${issues.join('; ')}`, { cause: parsed.error });
  }
  return parsed.data;
}

export interface PageWalk {
  http: Pick<HttpClient, 'request'>;
  baseUrl: string;
  path: string;
  limit: number;
  /** `updatedSince` of every page; undefined = everything. */
  since: string | undefined;
  /** A saved cursor to resume from; undefined = the first page. */
  cursor: string | undefined;
  /** Milliseconds left in the invocation, asked once before each page. */
  remainingMs: () => number;
  deadlineMarginMs: number;
  /** A resumed cursor the API refused (400/404/410): the walk restarts from the first page. */
  onCursorRejected: (error: SourceApiError) => void;
}

/**
 * The pages of one run, in order. Each page is requested while the caller processes the previous
 * one (API latency and Kafka acks overlap instead of adding up). The walk ends after the page
 * without `nextCursor`, or early, before a page, when less than `deadlineMarginMs` is left: the
 * caller tells the two apart by the last page's `nextCursor`. Source-API trouble is thrown as
 * SourceApiError.
 */
export async function* sourcePages(walk: PageWalk): AsyncGenerator<SourcePage, void, undefined> {
  const fetchAt = (cursor: string | undefined, deadline: number) => {
    const url = new URL(joinUrl(walk.baseUrl, walk.path));
    const query = { limit: String(walk.limit), updatedSince: walk.since, cursor };
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(name, value);
    return fetchSourcePage(walk.http, url.toString(), deadline);
  };
  let cursor = walk.cursor;
  let mayRejectCursor = cursor !== undefined;
  let prefetched: Promise<SourcePage> | undefined;
  for (;;) {
    const remainingMs = walk.remainingMs();
    if (remainingMs < walk.deadlineMarginMs) return;
    // Half the margin before the invocation ends, left for publishing and saving the cursor; the
    // prefetch below starts after this page arrived, so it takes this deadline, not a later one.
    const deadline = Date.now() + remainingMs - walk.deadlineMarginMs / 2;
    let page: SourcePage;
    try {
      page = await (prefetched ?? fetchAt(cursor, deadline));
    } catch (error) {
      // What an API answers for an expired or unknown cursor: 400 bad, 404 unknown, 410 gone.
      const rejected =
        error instanceof SourceApiError && [400, 404, 410].includes(error.status ?? 0);
      if (!mayRejectCursor || !rejected) throw error;
      // A saved cursor can expire (or the API can forget it) between invocations; keeping it
      // would fail every scheduled run forever. Restarting from the run's own updatedSince
      // re-reads what the earlier invocations published (the consumer dedupes it), loses nothing.
      mayRejectCursor = false;
      cursor = undefined;
      walk.onCursorRejected(error);
      continue;
    }
    mayRejectCursor = false;
    cursor = page.nextCursor ?? undefined;
    prefetched = cursor === undefined ? undefined : fetchAt(cursor, deadline);
    // Handled here so an abandoned prefetch (deadline, failed publish) is no unhandled rejection;
    // awaiting it above still throws.
    prefetched?.catch(() => undefined);
    yield page;
    if (cursor === undefined) return;
  }
}
