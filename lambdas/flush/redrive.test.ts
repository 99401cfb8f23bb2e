import { describe, expect, it } from 'vitest';
import { metricNames } from '../shared/pipeline';
import { runFlush } from './flush-run';
import { eventIdFor } from './packing';
import { listParked, redriveParked } from './outbox';
import {
  FAR_DEADLINE,
  FakeAnalytics,
  deadlineReached,
  exhausted,
  stage,
  stagedBatch,
  testDeps,
} from './test-support/fixtures';
import { MemoryStagingStore } from './test-support/memory-store';

const limits = { maxRecordsPerPost: 4, maxBytesPerPost: 1_000_000 };

/** Parks two payloads ([a, b] and [c]) by failing every POST with a 4xx, then heals Analytics. */
async function parkedStore() {
  const store = new MemoryStagingStore();
  await stage(store, [stagedBatch('a', 2, 0), stagedBatch('b', 0, 2), stagedBatch('c', 3, 0)]);
  const deps = testDeps(
    store,
    new FakeAnalytics([
      { delivered: false, reason: 'HTTP 409: conflict', attempts: 1, retryable: false },
    ]),
  );
  await runFlush(deps, { limits, deadline: FAR_DEADLINE });
  const failedBodies = [...deps.poster.bodies];
  deps.poster.script([{ delivered: true, status: 200 }]);
  return { store, deps, failedBodies };
}

describe('redriveParked', () => {
  it('re-posts each parked payload byte for byte (same eventId and grouping) and moves it to delivered/', async () => {
    const { store, deps, failedBodies } = await parkedStore();
    expect(store.keys('staging/')).toEqual([]);
    expect(failedBodies).toHaveLength(2);
    const summary = await redriveParked(deps, FAR_DEADLINE);

    expect(summary.failed).toEqual([]);
    expect(summary.redriven.map((r) => r.eventId).sort()).toEqual(
      [eventIdFor(['a', 'b']), eventIdFor(['c'])].sort(),
    );
    expect(deps.poster.bodies.slice(2).sort()).toEqual([...failedBodies].sort());
    expect(store.keys('dlq/')).toEqual([]);
    expect(store.keys('delivered/')).toEqual([
      'delivered/2026/01/01/a.json',
      'delivered/2026/01/01/b.json',
      'delivered/2026/01/01/c.json',
    ]);
    expect(deps.metricValues.get(metricNames.batchesRedriven)).toBe(3);
  });

  it('redrives only the eventId asked for', async () => {
    const { store, deps } = await parkedStore();
    const summary = await redriveParked(deps, FAR_DEADLINE, eventIdFor(['c']));
    expect(summary.redriven.map((r) => r.eventId)).toEqual([eventIdFor(['c'])]);
    expect(store.keys('dlq/')).toEqual(['dlq/2026/01/01/a.json', 'dlq/2026/01/01/b.json']);
    expect(store.keys('outbox/')).toEqual([`outbox/${eventIdFor(['a', 'b'])}.json`]);
    expect((await redriveParked(deps, FAR_DEADLINE, 'f'.repeat(64))).notFound).toEqual([
      'f'.repeat(64),
    ]);
  });

  it('leaves payloads parked when Analytics still fails, and reports them', async () => {
    const { store, deps } = await parkedStore();
    deps.poster.script([exhausted]);
    const before = store.keys('dlq/');

    const summary = await redriveParked(deps, FAR_DEADLINE);

    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]!.reason).toBe(exhausted.reason);
    expect(summary.skipped).toHaveLength(1); // stopped trying while Analytics is down
    expect(store.keys('dlq/')).toEqual(before);
    expect(store.keys('delivered/')).toEqual([]);
  });

  it("takes only parked manifests: one still pending is the next flush run's", async () => {
    const { store, deps } = await parkedStore();
    await stage(store, [stagedBatch('d', 1, 0)]);
    deps.poster.script([deadlineReached]);
    await runFlush(deps, { limits, deadline: FAR_DEADLINE }); // d deferred: manifest pending
    deps.poster.script([{ delivered: true, status: 200 }]);

    const summary = await redriveParked(deps, FAR_DEADLINE, eventIdFor(['d']));

    expect(summary).toMatchObject({ redriven: [], notFound: [eventIdFor(['d'])] });
    expect((await listParked(deps)).map((parked) => parked.eventId)).not.toContain(
      eventIdFor(['d']),
    );
    expect(store.keys('staging/')).toEqual(['staging/2026/01/01/d.json']);
  });

  it('skips, and keeps parked, a payload whose re-post its own deadline cut short', async () => {
    const { store, deps } = await parkedStore();
    deps.poster.script([deadlineReached]);
    const before = store.keys('dlq/');

    const summary = await redriveParked(deps, FAR_DEADLINE);

    expect(summary.failed).toEqual([]);
    expect(summary.skipped).toHaveLength(2);
    expect(deps.poster.posts).toHaveLength(3); // two failed flush posts, then one redrive try
    expect(store.keys('dlq/')).toEqual(before);
  });

  it('finishes a redrive that crashed while moving, without posting again', async () => {
    const { store, deps } = await parkedStore();
    store.failNext('delete', 1);
    await expect(redriveParked(deps, FAR_DEADLINE, eventIdFor(['a', 'b']))).rejects.toThrow(
      'injected',
    );
    const posts = deps.poster.posts.length;

    const summary = await redriveParked(deps, FAR_DEADLINE, eventIdFor(['a', 'b']));

    expect(summary.redriven).toHaveLength(1);
    // a reached delivered/ before the crash, so Analytics has the payload: no re-post.
    expect(deps.poster.posts.length).toBe(posts);
    expect(store.keys('delivered/')).toEqual([
      'delivered/2026/01/01/a.json',
      'delivered/2026/01/01/b.json',
    ]);
    expect(store.keys('dlq/')).toEqual(['dlq/2026/01/01/c.json']);
    expect(store.keys('outbox/')).toEqual([`outbox/${eventIdFor(['c'])}.json`]);
  });
});

describe('listParked', () => {
  it('ignores quarantined objects in dlq/ and unreadable manifests', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 1, 0)]);
    await store.put('staging/2026/01/01/broken.json', '{');
    const deps = testDeps(store, new FakeAnalytics([exhausted]));
    await runFlush(deps, { limits, deadline: FAR_DEADLINE });
    await store.put(`outbox/${'0'.repeat(64)}.json`, '{');
    expect(store.keys('dlq/')).toEqual(['dlq/2026/01/01/a.json', 'dlq/2026/01/01/broken.json']);

    expect((await listParked(deps)).map((parked) => parked.eventId)).toEqual([eventIdFor(['a'])]);
    deps.poster.script([{ delivered: true, status: 200 }]);
    const summary = await redriveParked(deps, FAR_DEADLINE);
    expect(summary).toMatchObject({
      redriven: [{ eventId: eventIdFor(['a']) }],
      failed: [{ eventId: '0'.repeat(64) }],
    });
    expect(summary.failed[0]?.reason).toContain('not JSON');
    expect(store.keys('dlq/')).toEqual(['dlq/2026/01/01/broken.json']);
  });

  it('lists parked eventIds with batch counts and reasons', async () => {
    const { deps } = await parkedStore();
    const parked = await listParked(deps);
    expect(
      parked
        .map(({ eventId, batchCount, reason }) => ({ eventId, batchCount, reason }))
        .sort((x, y) => x.batchCount - y.batchCount),
    ).toEqual([
      { eventId: eventIdFor(['c']), batchCount: 1, reason: 'HTTP 409: conflict' },
      { eventId: eventIdFor(['a', 'b']), batchCount: 2, reason: 'HTTP 409: conflict' },
    ]);
  });
});
