import type { ClaimStore } from '../claim-store';
import type { GroupCommitDeps } from '../group-commit';
import { SimulatedCrash } from './in-memory-stores';

type StagingStore = GroupCommitDeps['staging'];

/** Where the group commit can die: after each of its three writes' steps (DESIGN.md crash analysis). */
export const crashPoints = [
  'after-reading',
  'after-some-claims',
  'after-claiming',
  'after-staging',
] as const;
export type CrashPoint = (typeof crashPoints)[number];

/**
 * Wraps real (or in-memory) stores so that the invocation "dies" at `point`: the step's side effect
 * lands (all of it, or for 'after-some-claims' the first half of the claims), the step throws, and
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
      read: async (versionKeys) => {
        alive();
        const stored = await stores.claims.read(versionKeys);
        if (point === 'after-reading') die();
        return stored;
      },
      claim: async (versionKeys, stagingKey) => {
        alive();
        if (point === 'after-some-claims') {
          await stores.claims.claim(
            versionKeys.slice(0, Math.ceil(versionKeys.length / 2)),
            stagingKey,
          );
          die();
        }
        await stores.claims.claim(versionKeys, stagingKey);
        if (point === 'after-claiming') die();
      },
    },
    staging: {
      get: async (key) => (alive(), stores.staging.get(key)),
      putIfAbsent: async (key, batch) => {
        alive();
        const written = await stores.staging.putIfAbsent(key, batch);
        if (point === 'after-staging') die();
        return written;
      },
    },
  };
}
