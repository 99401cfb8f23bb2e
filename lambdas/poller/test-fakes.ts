/** In-memory stand-ins for the poller's dependencies, shared by its unit tests. */
import type { Producer, ProducerRecord } from 'kafkajs';
import type { RunProgress, SyncState, SyncStateStore } from '../shared/sync-state';
import { laterOf, SyncStateConflictError, withoutUndefined } from '../shared/sync-state';

/** A source API over a fixed list of items, ordered as given; cursor = index of the next item. */
export function fakeSourceFetch(
  items: Record<string, unknown>[],
  options: {
    failAtCall?: number;
    failStatus?: number;
    /** Answers this status to any request carrying this cursor (an expired API cursor). */
    rejectCursor?: { cursor: string; status: number };
  } = {},
) {
  const requests: URL[] = [];
  const fetchImpl = (async (input: string | URL | Request) => {
    const url = new URL(input instanceof Request ? input.url : input);
    requests.push(url);
    if (options.failAtCall !== undefined && requests.length >= options.failAtCall) {
      return new Response('down', { status: options.failStatus ?? 500 });
    }
    if (
      options.rejectCursor !== undefined &&
      url.searchParams.get('cursor') === options.rejectCursor.cursor
    ) {
      return new Response('{"error":"cursor expired"}', { status: options.rejectCursor.status });
    }
    const since = url.searchParams.get('updatedSince');
    const limit = Number(url.searchParams.get('limit'));
    const start = Number(url.searchParams.get('cursor') ?? '0');
    const eligible = items.filter(
      (item) => since === null || Date.parse(String(item.updatedAt)) >= Date.parse(since),
    );
    const page = eligible.slice(start, start + limit);
    const next = start + limit < eligible.length ? String(start + limit) : null;
    return new Response(JSON.stringify({ items: page, nextCursor: next }), { status: 200 });
  }) as typeof fetch;
  return { fetchImpl, requests };
}

export function fakeProducer(options: { rejectAtSend?: number } = {}) {
  const sent: ProducerRecord[] = [];
  let calls = 0;
  const producer: Pick<Producer, 'send'> = {
    send: async (record) => {
      calls += 1;
      if (options.rejectAtSend !== undefined && calls === options.rejectAtSend) {
        throw new Error('KafkaJSNumberOfRetriesExceeded: broker unavailable');
      }
      sent.push(record);
      return [];
    },
  };
  const messagesOn = (topic: string) =>
    sent.filter((record) => record.topic === topic).flatMap((record) => record.messages);
  return { producer, sent, messagesOn };
}

/** Same version/condition semantics as SyncStateRepository, in memory. */
export class InMemorySyncStateStore implements SyncStateStore {
  readonly items = new Map<string, SyncState>();
  private readonly now = () => new Date('2025-06-01T00:00:00.000Z');

  async read(source: string): Promise<SyncState | undefined> {
    const item = this.items.get(source);
    return item === undefined ? undefined : { ...item };
  }

  async saveCursor(previous: SyncState | undefined, source: string, progress: RunProgress) {
    const next: SyncState = withoutUndefined({
      source,
      version: (previous?.version ?? 0) + 1,
      watermark: previous?.watermark,
      cursor: progress.cursor,
      cursorSyncType: progress.syncType,
      cursorSince: progress.since,
      runStartedAt: progress.runStartedAt,
      runMaxUpdatedAt: progress.runMaxUpdatedAt,
      updatedAt: this.now().toISOString(),
    });
    this.put(next, previous);
    return next;
  }

  async advanceWatermark(
    previous: SyncState | undefined,
    source: string,
    watermark: string | undefined,
  ) {
    const next: SyncState = withoutUndefined({
      source,
      version: (previous?.version ?? 0) + 1,
      watermark: laterOf(previous?.watermark, watermark),
      updatedAt: this.now().toISOString(),
    });
    this.put(next, previous);
    return next;
  }

  private put(next: SyncState, previous: SyncState | undefined) {
    const stored = this.items.get(next.source);
    if (stored?.version !== previous?.version) throw new SyncStateConflictError(next.source);
    this.items.set(next.source, next);
  }
}

/** Captures log lines as the JSON a Powertools Logger would print, appended keys included. */
export function capturingLogger() {
  const lines: string[] = [];
  let keys: Record<string, unknown> = {};
  const at =
    (level: string) =>
    (message: string, ...extra: unknown[]) => {
      lines.push(JSON.stringify({ level, message, ...keys, extra }));
    };
  return {
    logger: {
      debug: at('DEBUG'),
      info: at('INFO'),
      warn: at('WARN'),
      error: at('ERROR'),
      appendKeys: (more: Record<string, unknown>) => {
        keys = { ...keys, ...more };
      },
      removeKeys: (names: string[]) => {
        keys = Object.fromEntries(Object.entries(keys).filter(([name]) => !names.includes(name)));
      },
    },
    lines,
  };
}

export function fakeMetrics() {
  const values = new Map<string, number>();
  return {
    metrics: {
      addMetric: (name: string, _unit: unknown, value: number) => {
        values.set(name, (values.get(name) ?? 0) + value);
      },
    },
    values,
  };
}
