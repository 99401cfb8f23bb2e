import type { ClaimStore } from '../claim-store';
import type { StagingStore } from '../staging-store';
import { SimulatedCrash } from './in-memory-stores';

/** The two crash points of the group commit. */
export type CrashPoint = 'after-claiming-before-staging' | 'after-staging-before-completing';

/**
 * Wraps real (or in-memory) stores so that the invocation "dies" at `point`: the step throws, and
 * from then on every call throws too, as nothing runs after a process dies. No branch in the
 * production code knows about it.
 */
export function crashingStores(
  stores: { claims: ClaimStore; staging: StagingStore },
  point: CrashPoint,
): { claims: ClaimStore; staging: StagingStore; crashed: () => boolean } {
  let dead = false;
  const alive = (): void => {
    if (dead) throw new SimulatedCrash('the process is gone');
  };
  const die = (): never => {
    dead = true;
    throw new SimulatedCrash(point);
  };
  return {
    crashed: () => dead,
    claims: {
      claim: async (versionKey, stagingKey) => (
        alive(),
        stores.claims.claim(versionKey, stagingKey)
      ),
      claimAll: async (versionKeys, stagingKey) => (
        alive(),
        stores.claims.claimAll(versionKeys, stagingKey)
      ),
      takeOver: async (versionKey, from, to) => (
        alive(),
        stores.claims.takeOver(versionKey, from, to)
      ),
      complete: async (versionKey, stagingKey) => {
        alive();
        if (point === 'after-staging-before-completing') die();
        return stores.claims.complete(versionKey, stagingKey);
      },
      completeAll: async (completions) => {
        alive();
        if (point === 'after-staging-before-completing') die();
        return stores.claims.completeAll(completions);
      },
    },
    staging: {
      read: async (key) => (alive(), stores.staging.read(key)),
      readJson: async (key) => (alive(), stores.staging.readJson(key)),
      putIfAbsent: async (key, batch) => {
        alive();
        if (point === 'after-claiming-before-staging') die();
        const written = await stores.staging.putIfAbsent(key, batch);
        if (point === 'after-staging-before-completing') die();
        return written;
      },
    },
  };
}
