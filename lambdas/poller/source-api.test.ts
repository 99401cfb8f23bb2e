import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tombstoneMessage, wrapInEnvelope } from '../shared/envelope';
import { HttpClient, HttpStatusError } from '../shared/http-client';
import { publishEnvelopes } from './run-poll';
import { PollerError } from './poll-request';
import { SourceApiError, fetchSourcePage, sourcePages } from './source-api';
import { fakeProducer } from './test-fakes';

const answering = (response: Response | Error) =>
  new HttpClient({
    timeoutMs: 1_000,
    maxAttempts: 1,
    baseDelayMs: 0,
    maxDelayMs: 0,
    fetchImpl: async () => {
      if (response instanceof Error) throw response;
      return response.clone();
    },
  });
const url = 'http://crm.test/crm/customers?limit=10';
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('fetchSourcePage', () => {
  it('turns a 2xx that is not a page into a SourceApiError carrying the parse error', async () => {
    const notJson = await failureOf(
      fetchSourcePage(answering(new Response('<html>', { status: 200 })), url, Date.now() + 5_000),
    );
    expect(notJson).toBeInstanceOf(SourceApiError);
    expect((notJson as SourceApiError).message).toMatch(
      /^source API: malformed page: body is not JSON/,
    );
    expect((notJson as SourceApiError).cause).toBeInstanceOf(SyntaxError);

    const noItems = await failureOf(
      fetchSourcePage(answering(new Response('{"data":[]}')), url, Date.now() + 5_000),
    );
    expect((noItems as SourceApiError).message).toMatch(/malformed page: items: /);
  });

  it('wraps HttpClient errors with their status and cause, and lets other errors through', async () => {
    const refused = await failureOf(
      fetchSourcePage(answering(new Response('gone', { status: 410 })), url, Date.now() + 5_000),
    );
    expect(refused).toMatchObject({ name: 'SourceApiError', status: 410 });
    expect(refused).toBeInstanceOf(PollerError);
    expect((refused as SourceApiError).cause).toBeInstanceOf(HttpStatusError);

    const down = await failureOf(
      fetchSourcePage(answering(new TypeError('fetch failed')), url, Date.now() + 5_000),
    );
    expect(down).toMatchObject({ name: 'SourceApiError', status: undefined });
    expect(((down as SourceApiError).cause as Error).cause).toBeInstanceOf(TypeError);

    const broken = { request: async () => Promise.reject(new RangeError('a bug')) };
    await expect(fetchSourcePage(broken, url, Date.now())).rejects.toBeInstanceOf(RangeError);
  });
});

describe('sourcePages', () => {
  it('gives a prefetch the deadline of the invocation, not one moved on by the page before it', async () => {
    const marginMs = 1_000;
    const end = Date.now() + 20_000;
    const deadlines: number[] = [];
    const http = {
      request: async ({ deadline, url }: { deadline?: number; url: string }) => {
        deadlines.push(deadline!);
        // The first page is slow (an API retrying): the second page is prefetched after it.
        if (!url.includes('cursor=')) await new Promise((resolve) => setTimeout(resolve, 300));
        const nextCursor = url.includes('cursor=') ? null : 'next';
        return { status: 200, body: JSON.stringify({ items: [], nextCursor }), headers: {} };
      },
    };
    const pages = sourcePages({
      http: http as unknown as Parameters<typeof sourcePages>[0]['http'],
      baseUrl: 'http://crm.test',
      path: '/crm/customers',
      limit: 10,
      since: undefined,
      cursor: undefined,
      remainingMs: () => end - Date.now(),
      deadlineMarginMs: marginMs,
      onCursorRejected: () => undefined,
    });
    for await (const page of pages) expect(page.items).toEqual([]);
    expect(deadlines).toHaveLength(2);
    // Half the margin before the invocation ends, whenever the request starts (a few ms of slack).
    for (const deadline of deadlines) expect(deadline).toBeLessThanOrEqual(end - marginMs / 2 + 20);
  });
});

describe('publishEnvelopes', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('logs each acked message with its messageId as the Powertools correlation id, then clears it', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const logger = new Logger({ serviceName: 'poll-crm', logLevel: 'DEBUG' });
    const envelopes = ['c-1', 'c-2', 'c-3'].map((id) =>
      wrapInEnvelope({
        eventType: 'CUSTOMER',
        source: 'crm',
        syncType: 'FULL',
        payload: {
          id,
          name: 'N',
          email: `${id}@example.com`,
          createdDate: '2025-01-01T00:00:00Z',
          updatedAt: '2025-01-01T00:00:00Z',
        },
      }),
    );
    const deleted = { id: 'c-4', deletedAt: '2025-01-02T00:00:00Z' };
    const tombstone = tombstoneMessage({
      eventType: 'CUSTOMER',
      deleted,
      source: 'crm',
      syncType: 'FULL',
    });
    const kafka = fakeProducer();
    const messages = [...envelopes, tombstone];
    await publishEnvelopes({ producer: kafka.producer, logger }, 'customers', messages, 2);
    logger.info('poll finished');

    const logs = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(kafka.sent.map((record) => record.messages.length)).toEqual([2, 2]);
    expect(kafka.sent[1]?.messages[1]).toEqual(tombstone);
    const published = logs.filter((log) => log.message === 'record published');
    expect(published.map((log) => [log.correlation_id, log.recordId])).toEqual([
      ...envelopes.map((e) => [e.messageId, e.payload.id]),
      [tombstone.headers.messageId, 'c-4'],
    ]);
    expect(logs.at(-1)).not.toHaveProperty('correlation_id');
    expect(lines.join('')).not.toContain('@example.com');
  });
});
