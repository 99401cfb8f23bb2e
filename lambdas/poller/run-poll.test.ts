import { describe, expect, it } from 'vitest';
import { MemoryStagingStore } from '../flush/test-support/memory-store';
import { DlqMessageSchema, DlqPublisher } from '../shared/dlq';
import { EnvelopeSchema, TombstoneHeadersSchema } from '../shared/envelope';
import { HttpClient } from '../shared/http-client';
import { metricNames, sources } from '../shared/pipeline';
import { InvalidPollRequestError } from './poll-request';
import { runPoll } from './run-poll';
import type { PollDeps, PollRequestInput } from './run-poll';
import {
  InMemorySyncStateStore,
  capturingLogger,
  fakeMetrics,
  fakeProducer,
  fakeSourceFetch,
} from './test-fakes';

const TOPIC = 'customers-test';
const DLQ_TOPIC = 'dlq-test';

function customers(count: number, startMs = Date.parse('2025-01-01T00:00:00Z')) {
  return Array.from({ length: count }, (_, i) => ({
    id: `cust-${i + 1}`,
    name: `Customer ${i + 1}`,
    email: `customer.${i + 1}@example.com`,
    createdDate: '2024-01-01T00:00:00.000Z',
    updatedAt: new Date(startMs + i * 1_000).toISOString(),
  }));
}

function setup(
  items: Record<string, unknown>[],
  options: {
    store?: InMemorySyncStateStore;
    rejectAtSend?: number;
    failAtCall?: number;
    failStatus?: number;
    rejectCursor?: { cursor: string; status: number };
    remaining?: () => number;
    ids?: MemoryStagingStore;
    now?: () => Date;
    producer?: ReturnType<typeof fakeProducer>;
  } = {},
) {
  const source = fakeSourceFetch(items, options);
  const kafka = options.producer ?? fakeProducer(options);
  const store = options.store ?? new InMemorySyncStateStore();
  const { logger, lines } = capturingLogger();
  const { metrics, values } = fakeMetrics();
  const http = new HttpClient({
    timeoutMs: 1_000,
    maxAttempts: 2,
    baseDelayMs: 1,
    maxDelayMs: 1,
    fetchImpl: source.fetchImpl,
    sleep: async () => {},
  });
  const deps: PollDeps = {
    http,
    producer: kafka.producer,
    syncState: store,
    dlq: new DlqPublisher(kafka.producer, DLQ_TOPIC),
    ids: options.ids ?? new MemoryStagingStore(),
    logger,
    metrics,
    now: options.now ?? (() => new Date('2025-06-01T12:00:00.000Z')),
    remainingTimeMs: options.remaining ?? (() => 60_000),
  };
  const request = (event: unknown): PollRequestInput => ({
    source: sources.crm,
    baseUrl: 'http://crm.test/base',
    topic: TOPIC,
    settings: {
      pageSize: 10,
      overlapSeconds: 60,
      deadlineMarginMs: 5_000,
      sendBatchSize: 4,
      maxClockSkewSeconds: 300,
    },
    event,
  });
  const published = () =>
    kafka
      .messagesOn(TOPIC)
      .map((message) => EnvelopeSchema.parse(JSON.parse(String(message.value))));
  return { deps, request, store, source, kafka, lines, values, published };
}

const scheduledEvent = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };

describe('runPoll: sync type selection', () => {
  it('runs FULL without a watermark, publishes every record once and advances the watermark to the max updatedAt', async () => {
    const items = customers(25);
    const t = setup(items);
    const result = await runPoll(t.deps, t.request(scheduledEvent));

    expect(result).toMatchObject({
      status: 'complete',
      syncType: 'FULL',
      pages: 3,
      fetched: 25,
      published: 25,
    });
    expect(t.source.requests.every((url) => !url.searchParams.has('updatedSince'))).toBe(true);
    expect(t.source.requests[0]?.pathname).toBe('/base/crm/customers');
    expect(t.source.requests[0]?.searchParams.get('limit')).toBe('10');
    const envelopes = t.published();
    expect(envelopes.map((e) => e.payload.id).sort()).toEqual(items.map((i) => i.id).sort());
    expect(new Set(envelopes.map((e) => e.syncType))).toEqual(new Set(['FULL']));
    const keys = t.kafka.messagesOn(TOPIC).map((m) => m.key);
    expect(keys).toEqual(envelopes.map((e) => e.payload.id));
    expect(t.kafka.sent.every((record) => record.acks === -1)).toBe(true);
    // sendBatchSize 4: a page of 10 takes 3 sends.
    expect(t.kafka.sent.filter((r) => r.topic === TOPIC).map((r) => r.messages.length)).toEqual([
      4, 4, 2, 4, 4, 2, 4, 1,
    ]);
    const state = await t.store.read('crm');
    expect(state?.watermark).toBe(items[24]?.updatedAt);
    expect(state?.cursor).toBeUndefined();
    expect(t.values.get(metricNames.recordsPublished)).toBe(25);
    expect(t.values.get(metricNames.pagesFetched)).toBe(3);
    const correlationIds = t.lines
      .map((line) => JSON.parse(line) as { message: string; correlation_id?: string })
      .filter((line) => line.message === 'record published')
      .map((line) => line.correlation_id);
    expect(correlationIds).toEqual(envelopes.map((e) => e.messageId));
  });

  it('runs INCREMENTAL from watermark minus the overlap', async () => {
    const store = new InMemorySyncStateStore();
    const watermark = '2025-01-01T00:00:10.000Z';
    store.items.set('crm', { source: 'crm', version: 4, watermark, updatedAt: watermark });
    const items = customers(20);
    const t = setup(items, { store });

    const result = await runPoll(t.deps, t.request(scheduledEvent));

    expect(result).toMatchObject({ status: 'complete', syncType: 'INCREMENTAL' });
    // 10 s - 60 s overlap = 50 s before midnight.
    expect(t.source.requests[0]?.searchParams.get('updatedSince')).toBe('2024-12-31T23:59:10.000Z');
    expect(new Set(t.published().map((e) => e.syncType))).toEqual(new Set(['INCREMENTAL']));
    expect((await t.store.read('crm'))?.watermark).toBe(items[19]?.updatedAt);
  });

  it('treats { mode: "full" } as RESYNC of everything and { since } as RESYNC from that instant', async () => {
    const store = new InMemorySyncStateStore();
    const watermark = '2025-01-01T00:00:30.000Z';
    store.items.set('crm', { source: 'crm', version: 1, watermark, updatedAt: watermark });
    const full = setup(customers(12), { store });
    expect(await runPoll(full.deps, full.request({ mode: 'full' }))).toMatchObject({
      status: 'complete',
      syncType: 'RESYNC',
      published: 12,
    });
    expect(full.source.requests[0]?.searchParams.has('updatedSince')).toBe(false);

    const since = setup(customers(12), { store });
    await runPoll(since.deps, since.request({ since: '2025-01-01T00:00:05Z' }));
    expect(since.source.requests[0]?.searchParams.get('updatedSince')).toBe('2025-01-01T00:00:05Z');
    expect(since.published()).toHaveLength(7);
    expect(new Set(since.published().map((e) => e.syncType))).toEqual(new Set(['RESYNC']));
  });

  it('rejects a malformed manual payload with a clear error and touches nothing', async () => {
    const t = setup(customers(3));
    await expect(runPoll(t.deps, t.request({ mode: 'fulll' }))).rejects.toBeInstanceOf(
      InvalidPollRequestError,
    );
    await expect(runPoll(t.deps, t.request({ since: 'yesterday' }))).rejects.toThrow(/since/);
    expect(t.source.requests).toHaveLength(0);
    expect(t.kafka.sent).toHaveLength(0);
  });
});

describe('runPoll: durability', () => {
  it('does not advance the watermark when a send is not acked; the cursor stays at the last acked page', async () => {
    const store = new InMemorySyncStateStore();
    const t = setup(customers(25), { store, rejectAtSend: 5 }); // page 2, second chunk
    await expect(runPoll(t.deps, t.request(scheduledEvent))).rejects.toThrow(/broker unavailable/);
    const state = await store.read('crm');
    expect(state?.watermark).toBeUndefined();
    expect(state?.cursor).toBe('10');
    expect(state?.cursorSyncType).toBe('FULL');
  });

  it('stops at the deadline with the cursor saved, and the next run resumes from it', async () => {
    const store = new InMemorySyncStateStore();
    const items = customers(35);
    let checks = 0;
    const first = setup(items, { store, remaining: () => (++checks <= 2 ? 60_000 : 1_000) });
    const partial = await runPoll(first.deps, first.request(scheduledEvent));
    expect(partial).toMatchObject({ status: 'partial', pages: 2, published: 20 });
    const saved = await store.read('crm');
    expect(saved).toMatchObject({ cursor: '20', cursorSyncType: 'FULL' });
    expect(saved?.watermark).toBeUndefined();

    const second = setup(items, { store });
    const resumed = await runPoll(second.deps, second.request(scheduledEvent));
    expect(resumed).toMatchObject({
      status: 'complete',
      syncType: 'FULL',
      resumed: true,
      published: 15,
    });
    expect(second.source.requests[0]?.searchParams.get('cursor')).toBe('20');
    const union = new Set([...first.published(), ...second.published()].map((e) => e.payload.id));
    expect(union).toEqual(new Set(items.map((i) => i.id)));
    expect((await store.read('crm'))?.watermark).toBe(items[34]?.updatedAt);
  });

  it('a redeliver resync stamps one generation on every envelope across its invocations; the next poll has none', async () => {
    const store = new InMemorySyncStateStore();
    const items = customers(35);
    let checks = 0;
    const first = setup(items, { store, remaining: () => (++checks <= 2 ? 60_000 : 1_000) });
    const partial = await runPoll(first.deps, first.request({ mode: 'full', redeliver: true }));
    const generation = '2025-06-01T12:00:00.000Z';
    expect(partial).toMatchObject({ status: 'partial', syncType: 'RESYNC', generation });
    expect(await store.read('crm')).toMatchObject({ cursor: '20', cursorGeneration: generation });

    const second = setup(items, { store });
    const resumed = await runPoll(second.deps, second.request(scheduledEvent));
    expect(resumed).toMatchObject({ status: 'complete', resumed: true, generation, published: 15 });
    const envelopes = [...first.published(), ...second.published()];
    expect(envelopes).toHaveLength(35);
    expect(new Set(envelopes.map((e) => e.generation))).toEqual(new Set([generation]));
    expect((await store.read('crm'))?.cursorGeneration).toBeUndefined();

    const next = setup(items, { store });
    expect((await runPoll(next.deps, next.request(scheduledEvent))).generation).toBeUndefined();
    expect(next.published().length).toBeGreaterThan(0);
    expect(next.published().every((e) => e.generation === undefined)).toBe(true);
    expect(next.kafka.messagesOn(TOPIC).every((m) => !String(m.value).includes('generation'))).toBe(
      true,
    );
  });

  it('ends as failed without moving the watermark when the source API keeps failing', async () => {
    const store = new InMemorySyncStateStore();
    const watermark = '2024-12-01T00:00:00.000Z';
    store.items.set('crm', { source: 'crm', version: 1, watermark, updatedAt: watermark });
    const t = setup(customers(25), { store, failAtCall: 2 });
    const result = await runPoll(t.deps, t.request(scheduledEvent));
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/HTTP 500/);
    const state = await store.read('crm');
    expect(state?.watermark).toBe(watermark);
    expect(state?.cursor).toBe('10');
  });

  it('does not retry a 4xx and reports it as failed', async () => {
    const t = setup(customers(5), { failAtCall: 1, failStatus: 400 });
    const result = await runPoll(t.deps, t.request(scheduledEvent));
    expect(result).toMatchObject({ status: 'failed', pages: 0 });
    expect(t.source.requests).toHaveLength(1);
  });
});

describe('runPoll: invalid records', () => {
  it('sends invalid records to the DLQ with the reason, never logs the e-mail, and publishes the rest', async () => {
    const items: Record<string, unknown>[] = customers(6);
    items[2] = { ...items[2], email: 'jane.secret(at)example.com' };
    items[4] = { ...items[4], email: 'valid.but.private@example.com', createdDate: 'not a date' };
    const t = setup(items);
    const result = await runPoll(t.deps, t.request(scheduledEvent));

    expect(result).toMatchObject({ status: 'complete', published: 4, invalid: 2 });
    const dlq = t.kafka
      .messagesOn(DLQ_TOPIC)
      .map((m) => DlqMessageSchema.parse(JSON.parse(String(m.value))));
    expect(dlq).toHaveLength(2);
    expect(dlq[0]).toMatchObject({ stage: 'poll', origin: { source: 'crm' } });
    expect(dlq[0]?.reason).toMatch(/email/);
    expect(dlq[1]?.reason).toMatch(/createdDate/);
    expect(JSON.parse(dlq[0]?.record ?? '{}')).toEqual(items[2]);

    const logs = t.lines.join('\n');
    expect(logs).toContain('cust-3');
    expect(logs).toContain('"path":"email"');
    expect(logs).not.toContain('jane.secret');
    expect(logs).not.toContain('valid.but.private');
    expect(logs).not.toMatch(/@example\.com/);
    expect(t.values.get(metricNames.recordsInvalid)).toBe(2);
    // A dead-lettered record is handled: the watermark passes it, so it is not re-read forever.
    expect((await t.store.read('crm'))?.watermark).toBe(items[5]?.updatedAt);
  });
});

describe('runPoll: soft deletes', () => {
  it('publishes an item with deletedAt as a tombstone (key = id, value null) in read order, before and after an update of the same id', async () => {
    const items: Record<string, unknown>[] = customers(6);
    const gone = (id: string, at: string) => ({ id, deletedAt: at, updatedAt: at });
    items[1] = gone('cust-1', String(items[1]?.updatedAt)); // cust-1: updated, then deleted
    items[3] = gone('cust-5', String(items[3]?.updatedAt)); // cust-5: deleted, then re-created
    items[5] = { id: 'cust-9', deletedAt: 'yesterday', updatedAt: items[5]?.updatedAt };
    const t = setup(items);
    const result = await runPoll(t.deps, t.request(scheduledEvent));

    expect(result).toMatchObject({ status: 'complete', published: 5, invalid: 1 });
    const sent = t.kafka.messagesOn(TOPIC);
    expect(sent.map((m) => [m.key, m.value === null ? 'delete' : 'record'])).toEqual([
      ['cust-1', 'record'],
      ['cust-1', 'delete'],
      ['cust-3', 'record'],
      ['cust-5', 'delete'],
      ['cust-5', 'record'],
    ]);
    const headers = TombstoneHeadersSchema.parse(sent[1]?.headers);
    expect(headers).toMatchObject({
      op: 'delete',
      eventType: 'CUSTOMER',
      source: 'crm',
      syncType: 'FULL',
      deletedAt: items[1].updatedAt,
    });
    const dlq = t.kafka
      .messagesOn(DLQ_TOPIC)
      .map((m) => DlqMessageSchema.parse(JSON.parse(String(m.value))));
    expect(dlq.map((m) => m.reason)).toEqual([expect.stringMatching(/deletedAt/)]);
    expect((await t.store.read('crm'))?.watermark).toBe(items[5].updatedAt);
  });

  it('a redeliver run gives its tombstones its generation, a header only when there is one', async () => {
    const items: Record<string, unknown>[] = customers(2);
    items[1] = { id: 'cust-2', deletedAt: items[1]?.updatedAt, updatedAt: items[1]?.updatedAt };
    const plain = setup(items);
    await runPoll(plain.deps, plain.request({ mode: 'full' }));
    expect(Object.keys(plain.kafka.messagesOn(TOPIC)[1]?.headers ?? {})).not.toContain(
      'generation',
    );
    const t = setup(items);
    const { generation } = await runPoll(t.deps, t.request({ mode: 'full', redeliver: true }));
    const headers = TombstoneHeadersSchema.parse(t.kafka.messagesOn(TOPIC)[1]?.headers);
    expect(headers.generation).toBe(generation);
    expect(generation).toBeDefined();
  });
});

describe('runPoll: manual resync never skips unread records', () => {
  const watermark = '2025-01-01T00:00:00.000Z';
  const at = (offsetMinutes: number) =>
    new Date(Date.parse(watermark) + offsetMinutes * 60_000).toISOString();

  it('a { since } later than the watermark leaves the watermark, so the next scheduled run reads the gap', async () => {
    const store = new InMemorySyncStateStore();
    store.items.set('crm', { source: 'crm', version: 1, watermark, updatedAt: watermark });
    const [before, gap, after] = customers(3);
    const items = [
      { ...before, updatedAt: at(-10) },
      { ...gap, updatedAt: at(30) },
      { ...after, updatedAt: at(90) },
    ];

    const manual = setup(items, { store });
    const resync = await runPoll(manual.deps, manual.request({ since: at(60) }));
    expect(resync).toMatchObject({ status: 'complete', syncType: 'RESYNC', published: 1 });
    expect((await store.read('crm'))?.watermark).toBe(watermark);

    const scheduled = setup(items, { store });
    const next = await runPoll(scheduled.deps, scheduled.request(scheduledEvent));
    expect(next).toMatchObject({ status: 'complete', syncType: 'INCREMENTAL' });
    expect(scheduled.published().map((e) => e.payload.id)).toContain(gap?.id);
    expect((await store.read('crm'))?.watermark).toBe(at(90));
  });

  it('a { since } at or before the watermark may advance it', async () => {
    const store = new InMemorySyncStateStore();
    store.items.set('crm', { source: 'crm', version: 1, watermark, updatedAt: watermark });
    const items = customers(2).map((c, i) => ({ ...c, updatedAt: at(i * 30) }));
    const t = setup(items, { store });
    await runPoll(t.deps, t.request({ since: at(-5) }));
    expect((await store.read('crm'))?.watermark).toBe(at(30));
  });

  it('refuses to start while a scheduled run has a saved cursor, and that run still completes', async () => {
    const store = new InMemorySyncStateStore();
    const items = customers(25);
    let checks = 0;
    const first = setup(items, { store, remaining: () => (++checks <= 1 ? 60_000 : 1_000) });
    expect(await runPoll(first.deps, first.request(scheduledEvent))).toMatchObject({
      status: 'partial',
    });
    const saved = await store.read('crm');
    expect(saved).toMatchObject({ cursor: '10', cursorSyncType: 'FULL' });

    const manual = setup(items, { store });
    const refused = await runPoll(manual.deps, manual.request({ since: items[20]?.updatedAt }));
    expect(refused).toMatchObject({ status: 'failed', syncType: 'RESYNC', pages: 0 });
    expect(refused.reason).toMatch(/^a scheduled sync is in progress.*; retry later$/);
    expect(manual.source.requests).toHaveLength(0);
    expect(manual.kafka.sent).toHaveLength(0);
    expect(await store.read('crm')).toEqual(saved);

    const resumed = setup(items, { store });
    expect(await runPoll(resumed.deps, resumed.request(scheduledEvent))).toMatchObject({
      status: 'complete',
      syncType: 'FULL',
      resumed: true,
      published: 15,
    });
    expect((await store.read('crm'))?.watermark).toBe(items[24]?.updatedAt);
  });
});

describe('runPoll: updatedAt in the future', () => {
  it('dead-letters a record dated beyond the allowed skew and keeps it out of the watermark', async () => {
    const items: Record<string, unknown>[] = customers(4);
    items[1] = { ...items[1], updatedAt: '2099-01-01T00:00:00.000Z' };
    // Two minutes ahead of the poller's clock: within the 300 s skew, so a normal record.
    items[3] = { ...items[3], updatedAt: '2025-06-01T12:02:00.000Z' };
    const t = setup(items);
    const result = await runPoll(t.deps, t.request(scheduledEvent));

    expect(result).toMatchObject({ status: 'complete', published: 3, invalid: 1 });
    expect(t.published().map((e) => e.payload.id)).not.toContain('cust-2');
    const dlq = t.kafka
      .messagesOn(DLQ_TOPIC)
      .map((m) => DlqMessageSchema.parse(JSON.parse(String(m.value))));
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.reason).toMatch(/^updatedAt is in the future/);
    expect(JSON.parse(dlq[0]?.record ?? '{}')).toEqual(items[1]);
    expect(t.values.get(metricNames.recordsInvalid)).toBe(1);
    expect((await t.store.read('crm'))?.watermark).toBe('2025-06-01T12:02:00.000Z');
    expect(t.lines.join('\n')).not.toMatch(/@example\.com/);
  });
});

describe('runPoll: a rejected saved cursor', () => {
  for (const status of [400, 404, 410]) {
    it(`restarts from the run's since when the resumed cursor gets ${status}, and completes`, async () => {
      const store = new InMemorySyncStateStore();
      const watermark = '2025-01-01T00:00:00.000Z';
      const since = '2024-12-31T23:59:00.000Z'; // watermark - 60 s overlap
      store.items.set('crm', {
        source: 'crm',
        version: 3,
        watermark,
        cursor: 'expired',
        cursorSyncType: 'INCREMENTAL',
        cursorSince: since,
        runStartedAt: '2025-06-01T11:00:00.000Z',
        updatedAt: watermark,
      });
      const items = customers(15);
      const t = setup(items, { store, rejectCursor: { cursor: 'expired', status } });
      const result = await runPoll(t.deps, t.request(scheduledEvent));

      expect(result).toMatchObject({
        status: 'complete',
        syncType: 'INCREMENTAL',
        resumed: true,
        published: 15,
      });
      expect(t.source.requests[0]?.searchParams.get('cursor')).toBe('expired');
      expect(t.source.requests[1]?.searchParams.has('cursor')).toBe(false);
      expect(t.source.requests[1]?.searchParams.get('updatedSince')).toBe(since);
      expect(t.values.get(metricNames.cursorReset)).toBe(1);
      expect(t.lines.join('\n')).toContain('saved cursor rejected');
      const state = await store.read('crm');
      expect(state?.cursor).toBeUndefined();
      expect(state?.watermark).toBe(items[14]?.updatedAt);
    });
  }

  it('still fails (cursor kept) when a resumed cursor gets a 500', async () => {
    const store = new InMemorySyncStateStore();
    const watermark = '2024-12-31T00:00:00.000Z';
    store.items.set('crm', {
      source: 'crm',
      version: 3,
      watermark,
      cursor: 'expired',
      cursorSyncType: 'FULL',
      updatedAt: watermark,
    });
    const t = setup(customers(5), { store, rejectCursor: { cursor: 'expired', status: 500 } });
    expect(await runPoll(t.deps, t.request(scheduledEvent))).toMatchObject({ status: 'failed' });
    expect((await store.read('crm'))?.cursor).toBe('expired');
    expect(t.values.get(metricNames.cursorReset)).toBeUndefined();
  });
});

describe('runPoll: hard deletes found by a full listing (docs/DESIGN.md, "Hard deletes")', () => {
  /** One source, its sync-state and its known ids across invocations; the clock moves 1 min a run. */
  function source(count: number) {
    const items = customers(count);
    const store = new InMemorySyncStateStore();
    const ids = new MemoryStagingStore();
    let minute = 0;
    const run = async (event: unknown, options: Parameters<typeof setup>[1] = {}) => {
      const startedAt = Date.parse('2025-06-01T12:00:00.000Z') + ++minute * 60_000;
      const t = setup(items, { store, ids, now: () => new Date(startedAt), ...options });
      const result = await runPoll(t.deps, t.request(event));
      const tombstones = t.kafka.messagesOn(TOPIC).filter((message) => message.value === null);
      return { result, tombstones, t, startedAt: new Date(startedAt).toISOString() };
    };
    /** Four pages, then the deadline. */
    const interrupted = () => {
      let checks = 0;
      return { remaining: () => (++checks <= 4 ? 60_000 : 1_000) };
    };
    return { items, store, ids, run, interrupted };
  }
  const deletedIds = (tombstones: { key?: unknown }[]) =>
    tombstones.map((m) => String(m.key)).sort();

  it('a resync after hard deletes publishes exactly those deletes, interrupted and resumed or not', async () => {
    const s = source(95);
    expect((await s.run(scheduledEvent)).result).toMatchObject({ status: 'complete', deleted: 0 });
    const gone = s.items.splice(10, 3).concat(s.items.splice(70, 1));
    const partial = await s.run({ mode: 'full' }, s.interrupted());
    expect(partial).toMatchObject({ result: { status: 'partial', deleted: 0 }, tombstones: [] });
    const resumed = await s.run(scheduledEvent);
    expect(resumed.result).toMatchObject({ status: 'complete', syncType: 'RESYNC', resumed: true });
    expect(resumed.result.deleted).toBe(4);
    expect(deletedIds(resumed.tombstones)).toEqual(gone.map((item) => item.id).sort());
    for (const { headers } of resumed.tombstones) {
      // Deleted at the start of the run (the partial one), whichever invocation completes it.
      expect(TombstoneHeadersSchema.parse(headers)).toMatchObject({
        op: 'delete',
        eventType: 'CUSTOMER',
        syncType: 'RESYNC',
        deletedAt: partial.startedAt,
      });
    }
    // Nothing is deleted twice, and the known ids are one snapshot again.
    expect((await s.run({ mode: 'full' })).tombstones).toEqual([]);
    expect(s.ids.keys()).toEqual([(await s.store.read('crm'))?.knownIds]);
  });

  it('an interrupted full sync deletes nothing, and records created or changed while it runs are not deleted', async () => {
    const s = source(60);
    await s.run(scheduledEvent);
    // An incremental poll publishes a new record, then a resync runs in two invocations while a
    // record it has not read yet changes (moves to the end) and another one is created.
    s.items.push({ ...customers(1, Date.parse('2025-02-01T00:00:00Z'))[0]!, id: 'cust-new-1' });
    expect((await s.run(scheduledEvent)).result).toMatchObject({ syncType: 'INCREMENTAL' });
    const first = await s.run({ mode: 'full' }, s.interrupted());
    expect(first).toMatchObject({ result: { status: 'partial' }, tombstones: [] });
    const [changed] = s.items.splice(50, 1);
    s.items.push({ ...changed!, updatedAt: '2025-03-01T00:00:00.000Z' });
    s.items.push({ ...customers(1, Date.parse('2025-03-02T00:00:00Z'))[0]!, id: 'cust-new-2' });
    const second = await s.run(scheduledEvent);
    expect(second.result).toMatchObject({ status: 'complete', resumed: true, deleted: 0 });
    expect(second.tombstones).toEqual([]);
  });

  it('a completion that crashes after publishing its tombstones publishes the same ones when retried', async () => {
    const s = source(45);
    await s.run(scheduledEvent);
    s.items.splice(5, 2);
    // The snapshot's write fails right after the tombstones are acked.
    const kafka = fakeProducer();
    const send = kafka.producer.send;
    kafka.producer.send = async (record) => {
      const sent = await send(record);
      if (record.messages.some((message) => message.value === null)) s.ids.failNext('put');
      return sent;
    };
    const crashed = await s.run({ mode: 'full' }, { ...s.interrupted(), producer: kafka });
    expect(crashed.result.status).toBe('partial');
    await expect(s.run(scheduledEvent, { producer: kafka })).rejects.toThrow(/injected put/);
    const first = kafka.messagesOn(TOPIC).filter((message) => message.value === null);
    expect(first).toHaveLength(2);
    const retried = await s.run(scheduledEvent);
    expect(retried.result).toMatchObject({ status: 'complete', deleted: 2 });
    const versionOf = ({ key, headers }: (typeof first)[number]) => {
      const { eventType, deletedAt } = TombstoneHeadersSchema.parse(headers);
      return `${eventType}#${String(key)}#${deletedAt}`;
    };
    expect(retried.tombstones.map(versionOf).sort()).toEqual(first.map(versionOf).sort());
  });

  it('stops before publishing when another invocation committed the run meanwhile, and completes only with time left', async () => {
    const s = source(45);
    await s.run(scheduledEvent);
    s.items.splice(0, 3);
    // Another invocation resuming the same cursor completes the run while this one reads.
    const read = s.store.read.bind(s.store);
    let reads = 0;
    s.store.read = async (name) => {
      const state = s.store.items.get(name);
      if (++reads === 2 && state) s.store.items.set(name, { ...state, version: state.version + 1 });
      return read(name);
    };
    const raced = await s.run({ mode: 'full' });
    expect(raced.result).toMatchObject({ status: 'failed', deleted: 0 });
    expect(raced.result.reason).toMatch(/changed by a concurrent run/);
    expect(raced.tombstones).toEqual([]);
    s.store.read = read;

    // The last page arrives with less than listingCompletionMs left: the next invocation completes.
    s.store.items.delete('crm');
    await s.run(scheduledEvent);
    s.items.splice(0, 2);
    let checks = 0;
    const short = { remaining: () => (++checks <= 4 ? 60_000 : 30_000) };
    const deferred = await s.run({ mode: 'full' }, short);
    expect(deferred).toMatchObject({ result: { status: 'partial', pages: 4 }, tombstones: [] });
    expect(deferred.result.reason).toMatch(/to complete the full listing/);
    const completed = await s.run(scheduledEvent);
    expect(completed.result).toMatchObject({ status: 'complete', resumed: true, deleted: 2 });
  });
});
