import { describe, expect, it } from 'vitest';
import type { Envelope } from '../shared/envelope';
import type { ClaimStore, StoredClaim } from './claim-store';
import type { Decision, GroupCommitDeps, GroupCommitResult } from './group-commit';
import { decide, groupCommit, objectToLocate, versionsInBatch } from './group-commit';
import type { ValidRecord } from './msk-event';
import { parseMskEvent } from './msk-event';
import { crashPoints, crashingStores } from './test-support/crash';
import { InMemoryClaimStore, InMemoryStagingStore } from './test-support/in-memory-stores';
import type { TestRecord } from './test-support/msk-event';
import {
  customer,
  customerEnvelope,
  mskEvent,
  product,
  productEnvelope,
} from './test-support/msk-event';

function testRecords(count: number, offsetBase = 0): TestRecord[] {
  return Array.from({ length: count }, (_, index) => {
    const offset = offsetBase + index;
    return index % 3 === 2
      ? {
          topic: 'inventory_data',
          partition: 1,
          offset,
          value: productEnvelope(product(`p-${offset}`)),
        }
      : {
          topic: 'customer_data',
          partition: index % 2,
          offset,
          value: customerEnvelope(customer(`c-${offset}`)),
        };
  });
}

async function commit(
  records: readonly TestRecord[],
  deps: GroupCommitDeps,
): Promise<GroupCommitResult & { valid: ValidRecord[] }> {
  const parsed = parseMskEvent(mskEvent(records));
  const batchDate = new Date(Math.max(...parsed.positions.map((position) => position.timestamp)));
  const result = await groupCommit(
    { records: parsed.valid, ranges: parsed.ranges, batchDate },
    deps,
  );
  return { ...result, valid: parsed.valid };
}

function stores() {
  return { claims: new InMemoryClaimStore(), staging: new InMemoryStagingStore() };
}

function deps(parts: Pick<GroupCommitDeps, 'claims' | 'staging'>): GroupCommitDeps {
  return { ...parts, concurrency: 4, now: () => new Date('2026-01-15T12:00:00Z') };
}

/** How many times each record version is held, across all staged objects (by content). */
function stagedCounts(staging: InMemoryStagingStore): Map<string, number> {
  const counts = new Map<string, number>();
  for (const batch of staging.objects.values()) {
    const { recordVersions: _ignored, ...content } = batch;
    for (const version of versionsInBatch(content))
      counts.set(version, (counts.get(version) ?? 0) + 1);
  }
  return counts;
}

function expectExactlyOnce(
  staging: InMemoryStagingStore,
  claims: InMemoryClaimStore,
  records: readonly ValidRecord[],
): void {
  const counts = stagedCounts(staging);
  const expected = new Set(records.map((record) => record.versionKey));
  expect([...counts.keys()].sort()).toEqual([...expected].sort());
  expect([...counts.values()].every((count) => count === 1)).toBe(true);
  // Each version's claim names an object that holds it: that is its completion.
  for (const version of expected) {
    const item = claims.items.get(version)!;
    if (item.status === 'COMPLETED') continue;
    expect(item.status).toBe('INPROGRESS');
    const holder = [...staging.objects.entries()].find(([key]) =>
      key.endsWith(item.stagingKey!.split('/').pop()!),
    );
    expect(holder?.[1].recordVersions).toContain(version);
  }
}

describe('decide', () => {
  const version = 'CUSTOMER#c-1#' + 'a'.repeat(64);
  const other = 'CUSTOMER#c-2#' + 'b'.repeat(64);
  const objectKey = 'staging/2026/01/15/earlier.json';
  const holding = { key: `delivered/2026/01/15/earlier.json`, versions: new Set([version]) };
  const notHolding = { key: objectKey, versions: new Set([other]) };
  const item = (status: string, stagingKey?: string): StoredClaim => ({ status, stagingKey });
  const inProgress = item('INPROGRESS', objectKey);
  // [case, the version's item, where its named object was found, decision]
  const cases: [string, StoredClaim | undefined, typeof holding | undefined, Decision['kind']][] = [
    ['no item: new', undefined, undefined, 'stage'],
    ['expired: new', item('EXPIRED', objectKey), undefined, 'stage'],
    ['COMPLETED (earlier protocol): duplicate', item('COMPLETED'), undefined, 'duplicate'],
    ['INPROGRESS, object (moved or not) holds it: duplicate', inProgress, holding, 'duplicate'],
    ['INPROGRESS, object without it: take over', inProgress, notHolding, 'stage'],
    ['INPROGRESS, object nowhere (died before staging): take over', inProgress, undefined, 'stage'],
    ['INPROGRESS, no stagingKey: take over', item('INPROGRESS'), undefined, 'stage'],
    ['a status Powertools does not have: undecided', item('WEIRD'), undefined, 'undecided'],
  ];
  it.each(cases)('%s', (_name, stored, named, expected) => {
    expect(decide(version, stored, named).kind).toBe(expected);
  });

  it('asks for the named object of INPROGRESS claims only', () => {
    expect(objectToLocate({ status: 'INPROGRESS', stagingKey: objectKey })).toBe(objectKey);
    expect(objectToLocate({ status: 'COMPLETED', stagingKey: objectKey })).toBeUndefined();
    expect(objectToLocate({ status: 'EXPIRED', stagingKey: objectKey })).toBeUndefined();
    expect(objectToLocate(undefined)).toBeUndefined();
  });
});

describe('groupCommit', () => {
  it('reads once, claims the new versions for one object under the batch date, writes nothing else', async () => {
    const { claims, staging } = stores();
    const result = await commit(testRecords(9), deps({ claims, staging }));
    expect(result.failed).toEqual([]);
    expect(result.object).toBe('created');
    expect(result.stagingKey).toBe(`staging/2026/01/15/${result.batchId}.json`);
    expect([...staging.objects.keys()]).toEqual([result.stagingKey]);
    const batch = staging.objects.get(result.stagingKey)!;
    expect(batch.customers.map((item) => item.id).sort()).toEqual([
      'c-0',
      'c-1',
      'c-3',
      'c-4',
      'c-6',
      'c-7',
    ]);
    expect(batch.products.map((item) => item.id).sort()).toEqual(['p-2', 'p-5', 'p-8']);
    expect(result.recordsStaged).toBe(9);
    expect(claims.calls).toEqual(['read 9', 'claim 9']);
    for (const record of result.valid)
      expect(claims.items.get(record.versionKey)).toEqual({
        status: 'INPROGRESS',
        stagingKey: result.stagingKey,
      });
  });

  it('only reads when the same batch is delivered again (its claims name an object that holds them)', async () => {
    const { claims, staging } = stores();
    await commit(testRecords(6), deps({ claims, staging }));
    claims.calls.length = 0;
    const again = await commit(testRecords(6), deps({ claims, staging }));
    expect(again).toMatchObject({ object: 'none', recordsStaged: 0, duplicates: 6, failed: [] });
    expect(claims.calls).toEqual(['read 6']);
    expect(staging.objects.size).toBe(1);
  });

  it('stages versions seen before again under a new generation, once per generation', async () => {
    const { claims, staging } = stores();
    await commit(testRecords(6), deps({ claims, staging }));
    const redeliver = (generation: string, offsetBase: number) =>
      testRecords(6).map((record) => ({
        ...record,
        offset: record.offset + offsetBase,
        value: { ...(record.value as Envelope), generation },
      }));
    const first = await commit(redeliver('g1', 100), deps({ claims, staging }));
    expect(first).toMatchObject({ object: 'created', recordsStaged: 6, duplicates: 0 });
    // The same generation read again (an overlap or a resumed page), at other offsets.
    const reread = await commit(redeliver('g1', 200), deps({ claims, staging }));
    expect(reread).toMatchObject({ object: 'none', recordsStaged: 0, duplicates: 6 });
    const second = await commit(redeliver('g2', 300), deps({ claims, staging }));
    expect(second).toMatchObject({ object: 'created', recordsStaged: 6, duplicates: 0 });
    expect(staging.objects.size).toBe(3);
  });

  it('honours COMPLETED items of the earlier protocol and stages expired ones again', async () => {
    const { claims, staging } = stores();
    const records = testRecords(3);
    const [first, second] = parseMskEvent(mskEvent(records)).valid;
    claims.items.set(first!.versionKey, { status: 'COMPLETED', stagingKey: undefined });
    claims.items.set(second!.versionKey, { status: 'EXPIRED', stagingKey: 'staging/gone.json' });
    const result = await commit(records, deps({ claims, staging }));
    expect(result).toMatchObject({ duplicates: 1, recordsStaged: 2, failed: [] });
    expect(claims.calls).toEqual(['read 3', 'claim 2']);
  });

  it('reads and claims each version once when a batch holds it twice, and counts the repeat as a duplicate', async () => {
    const { claims, staging } = stores();
    const envelope = customerEnvelope(customer('c-1'));
    const result = await commit(
      [
        { topic: 'customer_data', partition: 0, offset: 1, value: envelope },
        {
          topic: 'customer_data',
          partition: 0,
          offset: 2,
          value: { ...envelope, messageId: 'repoll' },
        },
      ],
      deps({ claims, staging }),
    );
    expect(claims.calls).toEqual(['read 1', 'claim 1']);
    expect(result).toMatchObject({ duplicates: 1, recordsStaged: 1, failed: [] });
    // Delivered again (a replay): two records, both duplicates, each counted once.
    const replayed = await commit(
      [
        { topic: 'customer_data', partition: 0, offset: 1, value: envelope },
        { topic: 'customer_data', partition: 0, offset: 2, value: envelope },
      ],
      deps({ claims, staging }),
    );
    expect(replayed).toMatchObject({ duplicates: 2, recordsStaged: 0, failed: [] });
  });

  it('looks for each named object once, however many claims name it', async () => {
    const { claims, staging } = stores();
    const records = testRecords(12);
    await commit(records, deps(crashingStores({ claims, staging }, 'after-staging')));
    const reads: string[] = [];
    const counting: GroupCommitDeps['staging'] = {
      putIfAbsent: (key, batch) => staging.putIfAbsent(key, batch),
      get: (key) => (reads.push(key), staging.get(key)),
    };
    const half = await commit(records.slice(0, 6), deps({ claims, staging: counting }));
    expect(half).toMatchObject({ object: 'none', duplicates: 6, failed: [] });
    expect(reads).toHaveLength(1);
  });

  it.each([
    ['reading the claims', 'read'],
    ['writing the claims', 'claim'],
  ] as const)(
    'stages nothing and reports every record when %s fails; a retry stages them once',
    async (_step, method) => {
      const { claims, staging } = stores();
      const records = testRecords(6);
      const failing: ClaimStore = {
        read: (keys) => claims.read(keys),
        claim: (keys, key) => claims.claim(keys, key),
        [method]: async () => {
          throw new Error('ProvisionedThroughputExceeded');
        },
      };
      const result = await commit(records, deps({ claims: failing, staging }));
      expect(result.object).toBe('none');
      expect(result.failed.map((record) => record.offset).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(result.errors).toHaveLength(1);
      expect(staging.objects.size).toBe(0);
      const retry = await commit(records, deps({ claims, staging }));
      expect(retry.failed).toEqual([]);
      expectExactlyOnce(staging, claims, retry.valid);
    },
  );

  it('writes nothing when a named object cannot be read (undecided), and reports every record', async () => {
    const { claims, staging } = stores();
    const records = testRecords(6);
    await commit(records, deps(crashingStores({ claims, staging }, 'after-claiming')));
    claims.calls.length = 0;
    const unreadable: GroupCommitDeps['staging'] = {
      putIfAbsent: (key, batch) => staging.putIfAbsent(key, batch),
      get: async () => {
        throw new Error('AccessDenied');
      },
    };
    const result = await commit(records.slice(0, 3), deps({ claims, staging: unreadable }));
    expect(result.failed).toHaveLength(3);
    expect(claims.calls).toEqual(['read 3']);
    expect(staging.objects.size).toBe(0);
  });

  describe.each(crashPoints)('crash %s', (point) => {
    const staged = point === 'after-staging';

    it('a retry of the same batch stages every record exactly once', async () => {
      const { claims, staging } = stores();
      const records = testRecords(12);
      const crashing = crashingStores({ claims, staging }, point);
      const first = await commit(records, deps(crashing));
      expect(crashing.crashed()).toBe(true);
      expect(first.failed).toHaveLength(12);
      const retry = await commit(records, deps({ claims, staging }));
      expect(retry.failed).toEqual([]);
      expect(retry.object).toBe(staged ? 'none' : 'created');
      expect(staging.objects.size).toBe(1);
      expectExactlyOnce(staging, claims, retry.valid);
    });

    it('retries of the bisected halves stage every record exactly once', async () => {
      const { claims, staging } = stores();
      const records = testRecords(12);
      await commit(records, deps(crashingStores({ claims, staging }, point)));
      const left = await commit(records.slice(0, 6), deps({ claims, staging }));
      const right = await commit(records.slice(6), deps({ claims, staging }));
      expect([...left.failed, ...right.failed]).toEqual([]);
      expect(staging.objects.size).toBe(staged ? 1 : 2);
      expectExactlyOnce(staging, claims, [...left.valid, ...right.valid]);
      // Lambda retrying the original boundaries later: still once, and nothing written.
      claims.calls.length = 0;
      const full = await commit(records, deps({ claims, staging }));
      expect(full).toMatchObject({ object: 'none', failed: [] });
      expect(claims.calls).toEqual(['read 12']);
    });

    it('a crash of the left half retry too, then a full retry, still stages exactly once', async () => {
      const { claims, staging } = stores();
      const records = testRecords(12);
      await commit(records, deps(crashingStores({ claims, staging }, point)));
      await commit(records.slice(0, 6), deps(crashingStores({ claims, staging }, 'after-staging')));
      const full = await commit(records, deps({ claims, staging }));
      expect(full.failed).toEqual([]);
      expectExactlyOnce(staging, claims, full.valid);
    });
  });

  it('412: a version decided new again (its item expired) while the object exists is covered by it', async () => {
    const { claims, staging } = stores();
    const records = testRecords(6);
    const first = await commit(records, deps(crashingStores({ claims, staging }, 'after-staging')));
    claims.items.set(first.valid[2]!.versionKey, { status: 'EXPIRED', stagingKey: undefined });
    const retry = await commit(records, deps({ claims, staging }));
    expect(retry).toMatchObject({ object: 'existing', failed: [], duplicates: 5 });
    expect(staging.objects.size).toBe(1);
    expectExactlyOnce(staging, claims, retry.valid);
  });

  it('412 without the version: that version is re-delivered, and other boundaries stage it', async () => {
    const { claims, staging } = stores();
    const records = testRecords(6);
    const [, second] = parseMskEvent(mskEvent(records)).valid;
    claims.items.set(second!.versionKey, { status: 'COMPLETED', stagingKey: undefined });
    await commit(records, deps(crashingStores({ claims, staging }, 'after-staging')));
    claims.items.set(second!.versionKey, { status: 'EXPIRED', stagingKey: undefined });
    const retry = await commit(records, deps({ claims, staging }));
    expect(retry.object).toBe('existing');
    expect(retry.failed.map((record) => record.offset)).toEqual([second!.offset]);
    const other = await commit(records.slice(1), deps({ claims, staging }));
    expect(other).toMatchObject({ object: 'created', recordsStaged: 1, failed: [] });
    expectExactlyOnce(staging, claims, parseMskEvent(mskEvent(records)).valid);
  });

  describe.each<'delivered' | 'parked' | 'quarantined'>(['delivered', 'parked', 'quarantined'])(
    'crash after staging, then flush moves the object (%s)',
    (where) => {
      /** What flush does to `stagingKey`; the batch then exists only at the returned key. */
      function flushMoves(staging: InMemoryStagingStore, stagingKey: string): string {
        const to = stagingKey.replace(/^staging\//, where === 'delivered' ? 'delivered/' : 'dlq/');
        staging.move(stagingKey, to);
        return to;
      }

      async function crashedAndMoved() {
        const { claims, staging } = stores();
        const records = testRecords(12);
        const crashing = crashingStores({ claims, staging }, 'after-staging');
        const first = await commit(records, deps(crashing));
        expect(crashing.crashed()).toBe(true);
        const movedTo = flushMoves(staging, first.stagingKey);
        expect([...staging.objects.keys()]).toEqual([movedTo]);
        return { claims, staging, records };
      }

      it('retries of the bisected halves stage nothing again', async () => {
        const { claims, staging, records } = await crashedAndMoved();
        const left = await commit(records.slice(0, 6), deps({ claims, staging }));
        const right = await commit(records.slice(6), deps({ claims, staging }));
        expect([...left.failed, ...right.failed]).toEqual([]);
        expect([left.object, right.object]).toEqual(['none', 'none']);
        expect(staging.objects.size).toBe(1);
        expectExactlyOnce(staging, claims, [...left.valid, ...right.valid]);
      });

      it('a retry with the same boundaries does not stage again under the freed staging key', async () => {
        const { claims, staging, records } = await crashedAndMoved();
        const retry = await commit(records, deps({ claims, staging }));
        expect(retry.failed).toEqual([]);
        expect(retry.object).toBe('none');
        expect(staging.objects.size).toBe(1);
        expectExactlyOnce(staging, claims, retry.valid);
      });
    },
  );

  it('still takes over a claim whose object exists nowhere (the attempt died before staging)', async () => {
    const { claims, staging } = stores();
    const records = testRecords(12);
    await commit(records, deps(crashingStores({ claims, staging }, 'after-claiming')));
    staging.otherObjects.set('dlq/2026/01/15/unrelated.json', { recordVersions: ['x'] });
    const left = await commit(records.slice(0, 6), deps({ claims, staging }));
    expect(left).toMatchObject({ object: 'created', recordsStaged: 6, failed: [] });
  });
});
