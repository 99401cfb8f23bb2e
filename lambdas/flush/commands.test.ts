import { describe, expect, it, vi } from 'vitest';
import { InvalidFlushInvocationError, executeCommand, parseInvokeEvent } from './commands';
import type { Lease } from './lease';
import {
  FAR_DEADLINE,
  generousLimits,
  stage,
  stagedBatch,
  testDeps,
} from './test-support/fixtures';
import { MemoryStagingStore } from './test-support/memory-store';
import { importMinified, thrownBy } from '../../test/support/minified-bundle';

const settings = { limits: generousLimits, deadline: FAR_DEADLINE };

/** An in-process lease: what acquireLease does against DynamoDB, for the command-level tests. */
function inProcessLease() {
  let holder: string | undefined;
  let runs = 0;
  return (): Promise<Lease | undefined> => {
    if (holder) return Promise.resolve(undefined);
    const owner = `run-${++runs}`;
    holder = owner;
    return Promise.resolve({
      owner,
      release: async () => {
        if (holder === owner) holder = undefined;
      },
    });
  };
}

describe('executeCommand', () => {
  it('answers busy to a flush started while another holds the lease; everything is delivered once', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 1, 0), stagedBatch('b', 1, 0)]);
    const deps = testDeps(store);
    const lease = inProcessLease();
    let release!: () => void;
    const firstPostBlocked = new Promise<void>((resolve) => (release = resolve));
    const post = deps.poster.post.bind(deps.poster);
    deps.poster.post = async (payload) => {
      await firstPostBlocked;
      return post(payload);
    };

    const first = executeCommand(deps, { action: 'flush' }, settings, lease);
    await vi.waitFor(() => expect(store.keys('outbox/')).toHaveLength(1));
    const second = await executeCommand(deps, { action: 'flush' }, settings, lease);
    release();

    expect(second).toEqual({ status: 'busy' });
    expect(await first).toMatchObject({ status: 'ok' });
    expect(deps.poster.posts).toHaveLength(1);
    expect(store.keys('delivered/')).toHaveLength(2);
    // The lease was released: the next run gets it.
    expect(await executeCommand(deps, { action: 'flush' }, settings, lease)).toMatchObject({
      status: 'ok',
    });
  });

  it('releases the lease when the run fails', async () => {
    const store = new MemoryStagingStore();
    await stage(store, [stagedBatch('a', 1, 0)]);
    const deps = testDeps(store);
    const released = vi.fn(async () => undefined);
    store.failNext('copy');

    await expect(
      executeCommand(deps, { action: 'flush' }, settings, async () => ({
        owner: 'x',
        release: released,
      })),
    ).rejects.toThrow('injected copy failure');
    expect(released).toHaveBeenCalledOnce();
  });

  it('lists the DLQ without taking the lease', async () => {
    const deps = testDeps(new MemoryStagingStore());
    const acquire = vi.fn(async () => undefined);
    const failed = { position: 'customer_data-0@7', key: 'C1', condition: 'x', failedAt: 't' };
    deps.topic.listFailed = async () => [failed];
    expect(await executeCommand(deps, { action: 'list-dlq' }, settings, acquire)).toEqual({
      status: 'ok',
      parked: [],
      failedRecords: [failed],
    });
    expect(acquire).not.toHaveBeenCalled();
  });

  it('republishes the dead-lettered records on a redrive of all, not on a redrive of one', async () => {
    const deps = testDeps(new MemoryStagingStore());
    const redriveFailed = vi.fn(async () => ({ republished: ['t-0@1'], superseded: [] }));
    deps.topic.redriveFailed = redriveFailed;
    const lease = inProcessLease();
    expect(await executeCommand(deps, { action: 'redrive' }, settings, lease)).toMatchObject({
      status: 'ok',
      records: { republished: ['t-0@1'] },
    });
    const one = await executeCommand(
      deps,
      { action: 'redrive', eventId: 'a'.repeat(64) },
      settings,
      lease,
    );
    expect(one).toMatchObject({ notFound: ['a'.repeat(64)] });
    expect(one).not.toHaveProperty('records');
    expect(redriveFailed).toHaveBeenCalledOnce();
  });
});

describe('parseInvokeEvent', () => {
  it('treats an EventBridge scheduled event as a flush', () => {
    const scheduled = {
      version: '0',
      id: '1',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: '2026-01-01T00:00:00Z',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:123456789012:rule/flush'],
      detail: {},
    };
    expect(parseInvokeEvent(scheduled)).toEqual({ action: 'flush' });
  });

  it('parses the operator commands', () => {
    expect(parseInvokeEvent({ action: 'redrive' })).toEqual({ action: 'redrive' });
    const eventId = 'a'.repeat(64);
    expect(parseInvokeEvent({ action: 'redrive', eventId })).toEqual({
      action: 'redrive',
      eventId,
    });
    expect(parseInvokeEvent({ action: 'list-dlq' })).toEqual({ action: 'list-dlq' });
    expect(parseInvokeEvent({ action: 'flush' })).toEqual({ action: 'flush' });
    const seek = { action: 'seek', groupId: 'g-customer_data-replay', topic: 't', from: '12' };
    expect(parseInvokeEvent(seek)).toEqual(seek);
    const redeliver = { action: 'redeliver', topic: 't', from: '2026-01-01T00:00:00Z' };
    expect(parseInvokeEvent(redeliver)).toEqual(redeliver);
    // Its group is its own: a redeliver never moves a mapping's.
    expect(() => parseInvokeEvent({ ...redeliver, groupId: 'g-replay' })).toThrow(
      InvalidFlushInvocationError,
    );
  });

  it("seeks only replay groups, never a live mapping's", () => {
    const live = { action: 'seek', groupId: 'ecom-sync-merge-consumer-customer_data', topic: 't' };
    expect(() => parseInvokeEvent({ ...live, from: '0' })).toThrow(/not a replay group/);
    const replay = { ...live, groupId: `${live.groupId}-replay` };
    expect(() => parseInvokeEvent({ ...replay, from: 'yesterday' })).toThrow(
      InvalidFlushInvocationError,
    );
  });

  it('rejects anything else with a message naming what is accepted', () => {
    for (const bad of [
      undefined,
      {},
      'flush',
      { action: 'purge' },
      { action: 'redrive', eventId: 'nope' },
      { action: 'list-dlq', extra: 1 },
      [],
      null,
      { source: 'aws.scheduler', 'detail-type': 'Scheduled Event' },
    ]) {
      expect(() => parseInvokeEvent(bad), JSON.stringify(bad)).toThrow(InvalidFlushInvocationError);
      expect(() => parseInvokeEvent(bad)).toThrow(/Unsupported flush invocation.*list-dlq/);
    }
  });

  it('says what it got: the schema error for a bad action, the kind of payload otherwise', () => {
    expect(() => parseInvokeEvent({ action: 'purge' })).toThrow(
      /Invalid discriminator value.*action/,
    );
    expect(() => parseInvokeEvent({ action: 'list-dlq', extra: 1 })).toThrow(
      /Unrecognized key: "extra"/,
    );
    expect(() => parseInvokeEvent('flush')).toThrow(/got a string/);
    expect(() => parseInvokeEvent([])).toThrow(/got an array/);
    expect(() => parseInvokeEvent(null)).toThrow(/got null/);
  });
});

describe('flush errors in the deployed bundle', () => {
  it('keep their names when minified as infra bundles them (Lambda reports name as errorType)', async () => {
    const bundled = await importMinified<{ parseInvokeEvent: typeof parseInvokeEvent }>(
      'lambdas/flush/commands.ts',
    );
    expect(thrownBy(() => bundled.parseInvokeEvent({}))).toMatchObject({
      name: 'InvalidFlushInvocationError',
    });
  }, 30_000);
});
