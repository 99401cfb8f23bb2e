import { describe, expect, it } from 'vitest';
import { MemoryStagingStore } from '../flush/test-support/memory-store';
import { KnownIds } from './known-ids';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';
const T2 = '2026-01-03T00:00:00.000Z';
const ok = async () => {};

/** A KnownIds whose clock the test sets; every object it writes is in `store`. */
function setup(store = new MemoryStagingStore()) {
  let now = T0;
  const known = new KnownIds(store, 'crm', () => new Date(now));
  const at = (time: string, offsetMs = 0) => {
    now = new Date(Date.parse(time) + offsetMs).toISOString();
  };
  /** One completion of the full listing started at `startedAt`, committed unless told not to. */
  const complete = async (startedAt: string, snapshotKey: string | undefined, commit = true) => {
    const completion = await known.complete(startedAt, snapshotKey, ok);
    const saved = await completion.save();
    if (commit) await completion.cleanup(saved);
    return { deletes: completion.deletes.sort(), saved };
  };
  return { store, known, at, complete };
}

const ids = (...numbers: number[]) => numbers.map((n) => `c-${n}`);

describe('KnownIds', () => {
  it('a first full listing deletes nothing; the next one deletes exactly what it no longer lists', async () => {
    const t = setup();
    t.at(T0, 1);
    await t.known.record({ ids: ids(1, 2, 3), deleted: [] }, T0);
    await t.known.record({ ids: ids(4, 5), deleted: [] }, T0);
    const first = await t.complete(T0, undefined);
    expect(first.deletes).toEqual([]);
    // Only the snapshot is left: the run's pages were consumed.
    expect(t.store.keys()).toEqual([first.saved]);

    t.at(T1, 1);
    await t.known.record({ ids: ids(1, 3, 5), deleted: [] }, T1);
    const second = await t.complete(T1, first.saved);
    expect(second.deletes).toEqual(ids(2, 4));
    expect(t.store.keys()).toEqual([second.saved]);
    // Deleted once: a third listing of the same ids deletes nothing more.
    t.at(T2, 1);
    await t.known.record({ ids: ids(1, 3, 5), deleted: [] }, T2);
    expect((await t.complete(T2, second.saved)).deletes).toEqual([]);
  });

  it('ids published by other runs count: before the listing started they are known, after it they are listed', async () => {
    const t = setup();
    t.at(T0, 1);
    await t.known.record({ ids: ids(1, 2), deleted: [] }, T0);
    const first = await t.complete(T0, undefined);
    // Incremental pages: c-3 created and c-4 created then soft-deleted, c-1 soft-deleted.
    t.at(T0, 10);
    await t.known.record({ ids: ids(3, 4), deleted: [] }, undefined);
    t.at(T0, 20);
    await t.known.record({ ids: [], deleted: ids(1, 4) }, undefined);
    // The listing started at T1 does not list c-6, which a page published while it ran did.
    t.at(T1, 5);
    await t.known.record({ ids: ids(2), deleted: [] }, T1);
    t.at(T1, 6);
    await t.known.record({ ids: ids(6), deleted: [] }, undefined);
    const second = await t.complete(T1, first.saved);
    // c-3: known, not listed → deleted. c-1, c-4: soft-deleted already. c-6: published meanwhile.
    expect(second.deletes).toEqual(ids(3));
    const snapshot = JSON.parse((await t.store.get(second.saved)) ?? '') as { ids: string[] };
    expect(snapshot.ids.sort()).toEqual(ids(2, 6));
  });

  it('an interrupted listing deletes nothing, and a later one ignores its pages', async () => {
    const t = setup();
    t.at(T0, 1);
    await t.known.record({ ids: ids(1, 2, 3), deleted: [] }, T0);
    const first = await t.complete(T0, undefined);
    // Listing T1 stops after one page and never completes (its cursor was lost).
    t.at(T1, 1);
    await t.known.record({ ids: ids(1), deleted: [] }, T1);
    // Listing T2 lists everything; T1's pages are not its evidence, and are garbage now.
    t.at(T2, 1);
    await t.known.record({ ids: ids(1, 2), deleted: [] }, T2);
    await t.known.record({ ids: ids(3), deleted: [] }, T2);
    const third = await t.complete(T2, first.saved);
    expect(third.deletes).toEqual([]);
    expect(t.store.keys()).toEqual([third.saved]);
  });

  it('a completion retried after a crash at any step finds the same deletes, and a committed one is not repeated, its cleanup crashed or not', async () => {
    const t = setup();
    t.at(T0, 1);
    await t.known.record({ ids: ids(1, 2, 3, 4), deleted: [] }, T0);
    const first = await t.complete(T0, undefined);
    t.at(T0, 5);
    await t.known.record({ ids: ids(5), deleted: [] }, undefined);
    t.at(T1, 1);
    await t.known.record({ ids: ids(1, 3), deleted: [] }, T1);
    // Crash after computing (tombstones published or not), and after saving, before the commit.
    const crashed = await t.known.complete(T1, first.saved, ok);
    await crashed.save();
    const retried = await t.complete(T1, first.saved);
    expect(crashed.deletes.sort()).toEqual(ids(2, 4, 5));
    expect(retried.deletes).toEqual(ids(2, 4, 5));
    expect(t.store.keys()).toEqual([retried.saved]);

    // Crash after the commit, before the cleanup: the next listing skips the logs it accounted for.
    t.at(T1, 10);
    await t.known.record({ ids: ids(7), deleted: [] }, undefined);
    t.at(T2, 1);
    await t.known.record({ ids: ids(1), deleted: [] }, T2);
    const committed = await t.complete(T2, retried.saved, false);
    expect(committed.deletes).toEqual(ids(3, 7));
    // And the next one crashes there too: the logs still there stay accounted for.
    const T3 = '2026-01-04T00:00:00.000Z';
    t.at(T3, 1);
    await t.known.record({ ids: ids(1), deleted: [] }, T3);
    const again = await t.complete(T3, committed.saved, false);
    expect(again.deletes).toEqual([]);
    const T4 = '2026-01-05T00:00:00.000Z';
    t.at(T4, 1);
    await t.known.record({ ids: ids(1), deleted: [] }, T4);
    expect((await t.complete(T4, again.saved)).deletes).toEqual([]);
    expect(t.store.keys()).toHaveLength(1);
  });

  it('reads nothing into deletes once another completion committed: verify refuses, and a vanished object is an error', async () => {
    const t = setup();
    t.at(T0, 1);
    await t.known.record({ ids: ids(1, 2), deleted: [] }, T0);
    const first = await t.complete(T0, undefined);
    t.at(T1, 1);
    await t.known.record({ ids: ids(1), deleted: [] }, T1);
    const refused = new Error('sync-state changed');
    await expect(t.known.complete(T1, first.saved, () => Promise.reject(refused))).rejects.toBe(
      refused,
    );
    // The run's page is gone although sync-state is unchanged (no committer deleted it): refuse.
    const page = t.store.keys('ids/crm/run/')[0];
    const vanishing = {
      list: (prefix: string) => t.store.list(prefix),
      get: async (key: string) => (key === page ? undefined : t.store.get(key)),
      put: (key: string, body: string) => t.store.put(key, body),
      delete: (key: string) => t.store.delete(key),
    };
    const vanished = new KnownIds(vanishing, 'crm', () => new Date(T1));
    await expect(vanished.complete(T1, first.saved, ok)).rejects.toThrow(/vanished/);
  });

  it('a million ids: one completion against 2,000 pages finds its 2,000 deletes (figures printed, docs/DESIGN.md)', async () => {
    const t = setup();
    const id = (i: number) => `cust-${String(i + 1).padStart(7, '0')}`;
    const pages = (startedAt: string, skip: number) => {
      t.at(startedAt, 1);
      return Promise.all(
        Array.from({ length: 2_000 }, (_, page) => {
          const listed = Array.from({ length: 500 }, (_, i) => page * 500 + i);
          return t.known.record(
            { ids: listed.filter((i) => i % 500 !== skip).map(id), deleted: [] },
            startedAt,
          );
        }),
      );
    };
    await pages(T0, -1);
    const first = await t.complete(T0, undefined);
    await pages(T1, 7);
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const completion = await t.known.complete(T1, first.saved, ok);
    const saved = await completion.save();
    const ms = performance.now() - started;
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    const snapshotMb = ((await t.store.get(saved))?.length ?? 0) / 2 ** 20;
    console.log(
      `[known-ids] 1,000,000 ids, 2,000 pages: ${completion.deletes.length} deletes in ${Math.round(ms)} ms, heap +${Math.round(heapMb)} MB, snapshot ${snapshotMb.toFixed(1)} MB`,
    );
    expect(completion.deletes).toHaveLength(2_000);
    expect(completion.deletes.every((deleted) => (Number(deleted.slice(5)) - 1) % 500 === 7)).toBe(
      true,
    );
    expect(heapMb).toBeLessThan(400);
  }, 60_000);
});
