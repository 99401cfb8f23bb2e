import { describe, expect, it } from 'vitest';
import type { ClaimStore } from './claim-store';
import { oneByOne } from './claim-store';
import type { GroupCommitDeps, GroupCommitResult } from './group-commit';
import { groupCommit } from './group-commit';
import { versionsInBatch } from './merge';
import type { ValidRecord } from './msk-event';
import { parseMskEvent } from './msk-event';
import type { CrashPoint } from './test-support/crash';
import { crashingStores } from './test-support/crash';
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
  for (const version of expected) expect(claims.items.get(version)?.status).toBe('COMPLETED');
}

describe('groupCommit', () => {
  it('stages a batch as one object under the batch date, then completes every claim with its key', async () => {
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
    for (const record of result.valid)
      expect(claims.items.get(record.versionKey)).toMatchObject({
        status: 'COMPLETED',
        result: result.stagingKey,
      });
  });

  it('stages nothing new when the same batch is delivered again', async () => {
    const { claims, staging } = stores();
    await commit(testRecords(6), deps({ claims, staging }));
    const again = await commit(testRecords(6), deps({ claims, staging }));
    expect(again).toMatchObject({ object: 'none', recordsStaged: 0, duplicates: 6, failed: [] });
    expect(staging.objects.size).toBe(1);
  });

  it('claims each version once when a batch holds it twice, and counts the repeat as a duplicate', async () => {
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
    expect(claims.calls.filter((call) => call.startsWith('claim '))).toHaveLength(1);
    expect(result).toMatchObject({ duplicates: 1, recordsStaged: 1, failed: [] });
  });

  it('claims and completes in requests of at most claimsPerRequest versions', async () => {
    const { claims, staging } = stores();
    const records = testRecords(7);
    const result = await commit(records, { ...deps({ claims, staging }), claimsPerRequest: 3 });
    expect(result.failed).toEqual([]);
    const requests = claims.calls.filter(
      (call) => call.startsWith('claimAll') || call.startsWith('completeAll'),
    );
    expect(requests.sort()).toEqual([
      'claimAll 1',
      'claimAll 3',
      'claimAll 3',
      'completeAll 1',
      'completeAll 3',
      'completeAll 3',
    ]);
    expectExactlyOnce(staging, claims, result.valid);
  });

  it('fails only the versions whose completion failed (they are staged; re-delivery completes them)', async () => {
    const { claims, staging } = stores();
    const records = testRecords(4);
    const partial: ClaimStore = {
      ...oneByOne(claims),
      completeAll: async (completions) =>
        completions.map(({ versionKey }) =>
          versionKey.includes('#c-1#') ? new Error('throttled') : undefined,
        ),
    };
    const result = await commit(records, deps({ claims: partial, staging }));
    expect(result.object).toBe('created');
    expect(result.failed.map((record) => record.offset)).toEqual([1]);
    const retry = await commit(records, deps({ claims, staging }));
    expect(retry.failed).toEqual([]);
    expect(retry.object).toBe('existing');
    expectExactlyOnce(staging, claims, retry.valid);
  });

  it('runs idempotency calls concurrently, never more than the limit at once', async () => {
    const base = new InMemoryClaimStore();
    let inFlight = 0;
    let maxInFlight = 0;
    const slowClaims: ClaimStore = oneByOne({
      claim: async (versionKey, key) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return base.claim(versionKey, key);
      },
      takeOver: (...args) => base.takeOver(...args),
      complete: (...args) => base.complete(...args),
    });
    await commit(testRecords(20), {
      ...deps({ claims: slowClaims, staging: new InMemoryStagingStore() }),
      concurrency: 3,
      claimsPerRequest: 1,
    });
    expect(maxInFlight).toBe(3);
  });

  it('stages nothing and reports every claimed record when one claim cannot be made', async () => {
    const { claims, staging } = stores();
    const records = testRecords(6);
    const flaky: ClaimStore = oneByOne({
      claim: async (versionKey, key) => {
        if (versionKey.includes('#c-3#')) throw new Error('ProvisionedThroughputExceeded');
        return claims.claim(versionKey, key);
      },
      takeOver: (...args) => claims.takeOver(...args),
      complete: (...args) => claims.complete(...args),
    });
    const result = await commit(records, deps({ claims: flaky, staging }));
    expect(result.object).toBe('none');
    expect(result.failed.map((record) => record.offset).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(staging.objects.size).toBe(0);
    const retry = await commit(records, deps({ claims, staging }));
    expect(retry.failed).toEqual([]);
    expectExactlyOnce(staging, claims, retry.valid);
  });

  describe.each<CrashPoint>(['after-claiming-before-staging', 'after-staging-before-completing'])(
    'crash %s',
    (point) => {
      it('a retry of the same batch stages every record exactly once', async () => {
        const { claims, staging } = stores();
        const records = testRecords(12);
        const crashing = crashingStores({ claims, staging }, point);
        const first = await commit(records, deps(crashing));
        expect(crashing.crashed()).toBe(true);
        expect(first.failed).toHaveLength(12);
        const retry = await commit(records, deps({ claims, staging }));
        expect(retry.failed).toEqual([]);
        expect(retry.object).toBe(
          point === 'after-claiming-before-staging' ? 'created' : 'existing',
        );
        expect(staging.objects.size).toBe(1);
        expectExactlyOnce(staging, claims, retry.valid);
      });

      it('retries of the bisected halves stage every record exactly once', async () => {
        const { claims, staging } = stores();
        const records = testRecords(12);
        const crashing = crashingStores({ claims, staging }, point);
        await commit(records, deps(crashing));
        const left = await commit(records.slice(0, 6), deps({ claims, staging }));
        const right = await commit(records.slice(6), deps({ claims, staging }));
        expect([...left.failed, ...right.failed]).toEqual([]);
        expect(staging.objects.size).toBe(point === 'after-claiming-before-staging' ? 2 : 1);
        expectExactlyOnce(staging, claims, [...left.valid, ...right.valid]);
      });

      it('a crash of the left half retry too, then a full retry, still stages exactly once', async () => {
        const { claims, staging } = stores();
        const records = testRecords(12);
        await commit(records, deps(crashingStores({ claims, staging }, point)));
        await commit(
          records.slice(0, 6),
          deps(crashingStores({ claims, staging }, 'after-staging-before-completing')),
        );
        const full = await commit(records, deps({ claims, staging }));
        expect(full.failed).toEqual([]);
        expectExactlyOnce(staging, claims, full.valid);
      });
    },
  );

  describe.each<'delivered' | 'parked' | 'quarantined'>(['delivered', 'parked', 'quarantined'])(
    'crash after staging, then flush moves the object (%s)',
    (where) => {
      /** What flush does to `stagingKey`; the batch then exists only at the returned key. */
      function flushMoves(staging: InMemoryStagingStore, stagingKey: string): string {
        const batchId = stagingKey
          .split('/')
          .pop()!
          .replace(/\.json$/, '');
        if (where === 'delivered') {
          const to = stagingKey.replace(/^staging\//, 'delivered/');
          staging.move(stagingKey, to);
          return to;
        }
        if (where === 'quarantined') {
          const to = `dlq/invalid/${stagingKey}`;
          staging.move(stagingKey, to);
          return to;
        }
        const eventId = 'e'.repeat(64);
        const to = `dlq/${eventId}/${batchId}.json`;
        staging.objects.set(to, staging.objects.get(stagingKey)!);
        staging.otherObjects.set(`dlq/by-batch/${batchId}.json`, { eventId, key: to });
        staging.objects.delete(stagingKey);
        return to;
      }

      async function crashedAndMoved() {
        const { claims, staging } = stores();
        const records = testRecords(12);
        const crashing = crashingStores({ claims, staging }, 'after-staging-before-completing');
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

      it('a retry with the same boundaries stages nothing again', async () => {
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
    await commit(
      records,
      deps(crashingStores({ claims, staging }, 'after-claiming-before-staging')),
    );
    staging.otherObjects.set('dlq/by-batch/unrelated.json', { eventId: 'x', key: 'dlq/x/y.json' });
    const left = await commit(records.slice(0, 6), deps({ claims, staging }));
    expect(left).toMatchObject({ object: 'created', recordsStaged: 6, failed: [] });
  });
});
