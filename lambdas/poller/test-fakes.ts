/** In-memory stand-ins for the poller's dependencies, shared by its unit tests. */
import type { Producer, ProducerRecord } from 'kafkajs';
import type { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SyncState } from '../shared/sync-state';
import { SyncStateRepository } from '../shared/sync-state';

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

/**
 * The real SyncStateRepository over an in-memory table: Get, and Put with the repository's
 * version condition, so the store's logic is the production code and only DynamoDB is faked.
 */
export class InMemorySyncStateStore extends SyncStateRepository {
  readonly items: Map<string, SyncState>;

  constructor() {
    const items = new Map<string, SyncState>();
    const send = async (command: GetCommand | PutCommand) => {
      if (command instanceof GetCommand) {
        const item = items.get(String(command.input.Key?.source));
        return { Item: item === undefined ? undefined : { ...item } };
      }
      const next = command.input.Item as SyncState;
      const expected: unknown = command.input.ExpressionAttributeValues?.[':expectedVersion'];
      if (items.get(next.source)?.version !== expected) {
        throw Object.assign(new Error('condition failed'), {
          name: 'ConditionalCheckFailedException',
        });
      }
      items.set(next.source, next);
      return {};
    };
    const documentClient = { send } as unknown as Pick<DynamoDBDocumentClient, 'send'>;
    super(documentClient, 'sync-state', () => new Date('2025-06-01T00:00:00.000Z'));
    this.items = items;
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
