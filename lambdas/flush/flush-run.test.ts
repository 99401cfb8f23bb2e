import { describe, expect, it } from 'vitest';
import { DlqMessageSchema } from '../shared/dlq';
import { metricNames } from '../shared/pipeline';
import { runFlush } from './flush-run';
import { PayloadManifestSchema } from './outbox';
import { eventIdFor } from './packing';
import {
  FAR_DEADLINE,
  FakeAnalytics,
  deadlineReached,
  exhausted,
  generousLimits,
  rejected,
  stage,
  stagedBatch,
  stagedKey,
  testDeps,
} from './test-support/fixtures';
import { MemoryStagingStore } from './test-support/memory-store';

const settings = { limits: generousLimits, deadline: FAR_DEADLINE };

describe('runFlush', () => {
  it('delivers staged batches oldest first and moves them to delivered/ with the same date path', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('newer-day', 1, 0)], '2026/01/02');
    await stage(store, [stagedBatch('b2', 2, 1), stagedBatch('b1', 1, 1)], '2026/01/01');
    const deps = testDeps(store);

    const summary = await runFlush(deps, {
      limits: { maxRecordsPerPost: 3, maxBytesPerPost: 1_000_000 },
      deadline: FAR_DEADLINE,
    });

    expect(deps.poster.posts.map((post) => post.metadata.batchIds)).toEqual([
      ['b2'],
      ['b1', 'newer-day'],
    ]);
    expect(deps.poster.posts[0]!.eventId).toBe(eventIdFor(['b2']));
    expect(summary.payloads.every((payload) => payload.status === 'delivered')).toBe(true);
    expect(store.keys('staging/')).toEqual([]);
    expect(store.keys('outbox/')).toEqual([]);
    expect(store.keys('delivered/')).toEqual([
      'delivered/2026/01/01/b1.json',
      'delivered/2026/01/01/b2.json',
      'delivered/2026/01/02/newer-day.json',
    ]);
    expect(deps.metricValues.get(metricNames.recordsDelivered)).toBe(6);
    expect(deps.metricValues.get(metricNames.batchesDelivered)).toBe(3);
    expect(deps.metricValues.get(metricNames.analyticsPosts)).toBe(2);
  });

  it('moves nothing out of staging before Analytics answers 2xx', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 1, 1), stagedBatch('b', 1, 1)]);
    const deps = testDeps(store);
    const stagedAtPostTime: string[][] = [];
    deps.poster.onPost = () => stagedAtPostTime.push(store.keys('staging/'));

    await runFlush(deps, settings);

    expect(stagedAtPostTime).toEqual([[stagedKey('a'), stagedKey('b')]]);
    expect(store.keys('staging/')).toEqual([]);
  });

  it('on exhaustion publishes one DLQ message, parks the batches under dlq/, marks the manifest parked and stops', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 2, 0), stagedBatch('b', 0, 2), stagedBatch('c', 1, 0)]);
    const deps = testDeps(store, new FakeAnalytics([exhausted]));

    const summary = await runFlush(deps, {
      limits: { maxRecordsPerPost: 4, maxBytesPerPost: 1_000_000 },
      deadline: FAR_DEADLINE,
    });

    const eventId = eventIdFor(['a', 'b']);
    expect(deps.poster.posts).toHaveLength(1);
    expect(summary.stoppedEarly).toBe('analytics-unavailable');
    expect(summary.remaining).toBe(1);
    expect(deps.dlqEntries).toHaveLength(1);
    const message = deps.dlqEntries[0]!;
    expect(message).toMatchObject({ stage: 'flush', reason: exhausted.reason, attempts: 6 });
    expect(message.origin).toEqual({
      eventId,
      batchIds: ['a', 'b'],
      s3Keys: [`outbox/${eventId}.json`, 'dlq/2026/01/01/a.json', 'dlq/2026/01/01/b.json'],
    });
    expect(
      DlqMessageSchema.safeParse({ ...message, dlqId: 'x', failedAt: new Date().toISOString() })
        .success,
    ).toBe(true);
    expect(store.keys('dlq/')).toEqual(message.origin.s3Keys!.slice(1));
    const manifest = PayloadManifestSchema.parse(
      JSON.parse((await store.get(`outbox/${eventId}.json`))!),
    );
    expect(manifest.batches.map((batch) => batch.batchId)).toEqual(['a', 'b']);
    expect(manifest.timestamp).toBe(deps.poster.posts[0]!.timestamp);
    expect(manifest.parked).toMatchObject({ reason: exhausted.reason, attempts: 6 });
    // c was not tried while Analytics is down: it stays staged for the next run.
    expect(store.keys('staging/')).toEqual([stagedKey('c')]);
    expect(store.keys('outbox/')).toEqual([`outbox/${eventId}.json`]);
    expect(deps.metricValues.get(metricNames.dlqMessages)).toBe(1);
    expect(deps.metricValues.get(metricNames.batchesParked)).toBe(2);
  });

  it('parks a payload Analytics rejects (4xx) and carries on with the next one', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 3, 0), stagedBatch('b', 3, 0)]);
    const deps = testDeps(store, new FakeAnalytics([rejected, { delivered: true, status: 200 }]));

    const summary = await runFlush(deps, {
      limits: { maxRecordsPerPost: 3, maxBytesPerPost: 1_000_000 },
      deadline: FAR_DEADLINE,
    });

    expect(summary.payloads.map((payload) => payload.status)).toEqual(['failed', 'delivered']);
    expect(store.keys('dlq/')).toEqual(['dlq/2026/01/01/a.json']);
    expect(store.keys('delivered/')).toEqual(['delivered/2026/01/01/b.json']);
    expect(store.keys('staging/')).toEqual([]);
  });

  it('quarantines a malformed staged object in dlq/ with a DLQ message, and delivers the rest', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('good', 1, 1)]);
    const bad = { ...stagedBatch('bad', 1, 0), customers: [{ id: 'x', email: 'not-an-email' }] };
    await store.put(stagedKey('bad'), JSON.stringify(bad));
    await store.put(stagedKey('garbage'), '{not json');
    const deps = testDeps(store);

    const summary = await runFlush(deps, settings);

    expect(summary.quarantined).toBe(2);
    expect(store.keys('dlq/')).toEqual(['dlq/2026/01/01/bad.json', 'dlq/2026/01/01/garbage.json']);
    expect(await store.get('dlq/2026/01/01/bad.json')).toBe(JSON.stringify(bad));
    expect(deps.dlqEntries.map((entry) => entry.reason)).toEqual([
      expect.stringContaining('fails StagedBatchSchema'),
      expect.stringContaining('not JSON'),
    ]);
    expect(deps.dlqEntries[0]!.origin.s3Keys).toEqual(['dlq/2026/01/01/bad.json']);
    expect(store.keys('outbox/')).toEqual([]);
    expect(deps.poster.posts.map((post) => post.metadata.batchIds)).toEqual([['good']]);
    expect(store.keys('staging/')).toEqual([]);
  });

  it('after a crash between the POST and the move, re-posts the same payload and never regroups', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 1, 0), stagedBatch('b', 1, 0)]);
    const deps = testDeps(store);
    store.failNext('copy');

    await expect(runFlush(deps, settings)).rejects.toThrow('injected copy failure');
    expect(store.keys('staging/')).toHaveLength(2);
    // New work arrived before the restart; it must not be mixed into the interrupted payload.
    await stage(store, [stagedBatch('c', 1, 0)]);

    const summary = await runFlush(deps, settings);

    expect(summary.resumed).toBe(1);
    expect(deps.poster.posts.map((post) => post.metadata.batchIds)).toEqual([
      ['a', 'b'],
      ['a', 'b'],
      ['c'],
    ]);
    expect(deps.poster.bodies[1]).toBe(deps.poster.bodies[0]);
    expect(store.keys('staging/')).toEqual([]);
    expect(store.keys('outbox/')).toEqual([]);
    expect(store.keys('delivered/')).toHaveLength(3);
  });

  it('finishes a payload whose batches were all moved before the crash without re-posting it', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 1, 0)]);
    const deps = testDeps(store);
    store.failNext('delete'); // the batch is copied to delivered/ but its staging copy stays

    await expect(runFlush(deps, settings)).rejects.toThrow('injected delete failure');
    expect(store.keys('delivered/')).toHaveLength(1);

    const summary = await runFlush(deps, settings);
    expect(deps.poster.posts).toHaveLength(1);
    expect(summary.resumed).toBe(1);
    expect(store.keys('staging/')).toEqual([]);
    expect(store.keys('outbox/')).toEqual([]);
  });

  it('drops a staging copy of a batch already in delivered/ instead of posting it again', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 1, 0)]);
    await store.put('delivered/2026/01/01/a.json', JSON.stringify(stagedBatch('a', 1, 0)));
    const deps = testDeps(store);

    const summary = await runFlush(deps, settings);

    expect(summary.alreadyDelivered).toBe(1);
    expect(deps.poster.posts).toHaveLength(0);
    expect(store.keys('staging/')).toEqual([]);
  });

  it('starts no payload once the deadline has passed, and leaves the batches staged', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 1, 0)]);
    const deps = testDeps(store);

    const summary = await runFlush(deps, { limits: generousLimits, deadline: 0 });

    expect(summary.stoppedEarly).toBe('deadline');
    expect(summary.remaining).toBe(1);
    expect(deps.poster.posts).toHaveLength(0);
    expect(store.keys('staging/')).toEqual([stagedKey('a')]);
  });

  it('settles a resumed payload with any batch already in delivered/ without re-posting it', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 1, 0), stagedBatch('b', 1, 0)]);
    const deps = testDeps(store);
    store.failNext('delete'); // after the 2xx: a copied to delivered/, its staging copy stays
    await expect(runFlush(deps, settings)).rejects.toThrow('injected delete failure');
    expect(store.keys('delivered/')).toEqual(['delivered/2026/01/01/a.json']);
    // Analytics is down now: a re-post would fail and park a payload Analytics already has.
    deps.poster.script([exhausted]);

    const summary = await runFlush(deps, settings);

    expect(deps.poster.posts).toHaveLength(1);
    expect(summary).toMatchObject({ resumed: 1, payloads: [] });
    expect(summary.stoppedEarly).toBeUndefined();
    expect(store.keys('delivered/')).toEqual([
      'delivered/2026/01/01/a.json',
      'delivered/2026/01/01/b.json',
    ]);
    expect(store.keys('staging/')).toEqual([]);
    expect(store.keys('outbox/')).toEqual([]);
    expect(store.keys('dlq/')).toEqual([]);
    expect(deps.dlqEntries).toEqual([]);
  });

  it('when its own deadline ends the retries, parks nothing and leaves the payload for the next run', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 1, 0), stagedBatch('b', 1, 0)]);
    const deps = testDeps(store, new FakeAnalytics([deadlineReached]));
    const oneBatchPerPost = { maxRecordsPerPost: 1, maxBytesPerPost: 1_000_000 };

    const summary = await runFlush(deps, { limits: oneBatchPerPost, deadline: FAR_DEADLINE });

    expect(summary.stoppedEarly).toBe('deadline');
    expect(summary.payloads).toEqual([
      expect.objectContaining({ eventId: eventIdFor(['a']), status: 'deferred' }),
    ]);
    expect(summary.remaining).toBe(2);
    expect(deps.dlqEntries).toEqual([]);
    expect(store.keys('dlq/')).toEqual([]);
    expect(store.keys('staging/')).toEqual([stagedKey('a'), stagedKey('b')]);
    expect(store.keys('outbox/')).toEqual([`outbox/${eventIdFor(['a'])}.json`]);

    deps.poster.script([{ delivered: true, status: 200 }]);
    const next = await runFlush(deps, { limits: oneBatchPerPost, deadline: FAR_DEADLINE });

    expect(next.resumed).toBe(1);
    expect(deps.poster.bodies[1]).toBe(deps.poster.bodies[0]); // same payload, same key
    expect(deps.poster.posts.map((post) => post.metadata.batchIds)).toEqual([['a'], ['a'], ['b']]);
    expect(store.keys('staging/')).toEqual([]);
    expect(store.keys('outbox/')).toEqual([]);
  });

  it('a resumed payload the deadline stops again stays in the outbox, not packed with others', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 1, 0)]);
    const deps = testDeps(store, new FakeAnalytics([deadlineReached]));
    await runFlush(deps, settings);
    await stage(store, [stagedBatch('b', 1, 0)]);

    const summary = await runFlush(deps, settings);

    expect(summary).toMatchObject({ resumed: 1, stoppedEarly: 'deadline' });
    expect(deps.poster.posts.map((post) => post.metadata.batchIds)).toEqual([['a'], ['a']]);
    expect(store.keys('outbox/')).toEqual([`outbox/${eventIdFor(['a'])}.json`]);
    expect(store.keys('staging/')).toEqual([stagedKey('a'), stagedKey('b')]);
    expect(store.keys('dlq/')).toEqual([]);
  });

  it('parks in order: every batch copied to dlq/ before its staging copy goes, the manifest marked last', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 1, 0), stagedBatch('b', 1, 0)]);
    const seen: string[] = [];
    const deleteObject = store.delete.bind(store);
    store.delete = async (key) => {
      if (key.startsWith('staging/')) seen.push(`delete ${key}: dlq ${store.keys('dlq/').length}`);
      return deleteObject(key);
    };
    const putObject = store.put.bind(store);
    store.put = async (key, body) => {
      if (key.startsWith('outbox/') && body.includes('"parked"'))
        seen.push(`mark parked: staging ${store.keys('staging/').length}`);
      return putObject(key, body);
    };
    const deps = testDeps(store, new FakeAnalytics([rejected]));

    await runFlush(deps, settings);

    expect(seen).toEqual([
      `delete ${stagedKey('a')}: dlq 2`,
      `delete ${stagedKey('b')}: dlq 2`,
      'mark parked: staging 0',
    ]);
  });

  it('after a crash while parking, re-posts the payload from dlq/ under the same key', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 1, 0), stagedBatch('b', 1, 0)]);
    const deps = testDeps(store, new FakeAnalytics([rejected]));
    const putObject = store.put.bind(store);
    store.put = async (key, body) => {
      if (body.includes('"parked"')) throw new Error('crash before the manifest is marked');
      return putObject(key, body);
    };
    await expect(runFlush(deps, settings)).rejects.toThrow('crash before the manifest');
    expect(store.keys('staging/')).toEqual([]);
    expect(store.keys('dlq/')).toHaveLength(2);
    store.put = putObject;
    deps.poster.script([{ delivered: true, status: 200 }]);

    const summary = await runFlush(deps, settings);

    expect(summary.resumed).toBe(1);
    expect(deps.poster.bodies[1]).toBe(deps.poster.bodies[0]);
    expect(store.keys('dlq/')).toEqual([]);
    expect(store.keys('outbox/')).toEqual([]);
    expect(store.keys('delivered/')).toHaveLength(2);
  });

  it('leaves a parked payload to the redrive: a staging copy of its batch is not packed again', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 1, 0)]);
    const deps = testDeps(store, new FakeAnalytics([rejected]));
    await runFlush(deps, settings);
    await stage(store, [stagedBatch('a', 1, 0), stagedBatch('b', 1, 0)]); // a re-staged copy
    deps.poster.script([{ delivered: true, status: 200 }]);

    const summary = await runFlush(deps, settings);

    expect(summary).toMatchObject({ resumed: 0, remaining: 0 });
    expect(deps.poster.posts.map((post) => post.metadata.batchIds)).toEqual([['a'], ['b']]);
    expect(store.keys('staging/')).toEqual([stagedKey('a')]);
    expect(store.keys('dlq/')).toEqual(['dlq/2026/01/01/a.json']);
  });

  it('packs nothing while a manifest cannot be read (it may name any staged batch), then delivers', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 1, 0)]);
    await store.put('outbox/unreadable.json', '{"eventId":');
    const deps = testDeps(store);
    const errors: unknown[] = [];
    deps.logger.error = (message, ...fields) => void errors.push({ message, fields: fields[0] });

    const summary = await runFlush(deps, settings);

    expect(summary).toMatchObject({
      stoppedEarly: 'unreadable-manifest',
      payloads: [],
      remaining: 1,
    });
    expect(deps.poster.posts).toEqual([]);
    expect(store.keys('staging/')).toEqual([stagedKey('a')]);
    expect(errors).toMatchObject([{ fields: { key: 'outbox/unreadable.json' } }]);

    await store.delete('outbox/unreadable.json'); // the operator's repair
    expect(await runFlush(deps, settings)).toMatchObject({ remaining: 0 });
    expect(deps.poster.posts.map((post) => post.metadata.batchIds)).toEqual([['a']]);
  });

  it('reports the age of the oldest staged batch', async () => {
    const store = new MemoryStagingStore(() => Date.parse('2026-01-01T00:00:00Z'));
    await stage(store, [stagedBatch('a', 1, 0)]);
    const deps = testDeps(store);
    deps.now = () => Date.parse('2026-01-01T00:05:00Z');

    await runFlush(deps, settings);

    expect(deps.metricValues.get(metricNames.oldestStagedBatchAgeSeconds)).toBe(300);
  });
});
