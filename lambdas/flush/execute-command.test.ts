import { describe, expect, it, vi } from 'vitest';
import { executeCommand } from './execute-command';
import type { Lease } from './lease';
import {
  FAR_DEADLINE,
  generousLimits,
  stage,
  stagedBatch,
  testDeps,
} from './test-support/fixtures';
import { MemoryStagingStore } from './test-support/memory-store';

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
    expect(await executeCommand(deps, { action: 'list-dlq' }, settings, acquire)).toEqual({
      status: 'ok',
      parked: [],
    });
    expect(acquire).not.toHaveBeenCalled();
  });
});
