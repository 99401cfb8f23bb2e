import type { StagedBatch, StagingStore } from '../../shared/staging-format';
import type { ClaimStore, StoredClaim } from '../claim-store';

/** The idempotency items of StagingClaimPersistenceLayer, in memory, for unit tests. */
export class InMemoryClaimStore implements ClaimStore {
  /** By version key; a test may seed COMPLETED (earlier protocol) or EXPIRED items. */
  readonly items = new Map<string, StoredClaim>();
  readonly calls: string[] = [];

  async read(versionKeys: readonly string[]): Promise<(StoredClaim | undefined)[]> {
    this.calls.push(`read ${versionKeys.length}`);
    return versionKeys.map((versionKey) => {
      const item = this.items.get(versionKey);
      return item === undefined ? undefined : { ...item };
    });
  }

  async claim(versionKeys: readonly string[], stagingKey: string): Promise<void> {
    this.calls.push(`claim ${versionKeys.length}`);
    for (const versionKey of versionKeys)
      this.items.set(versionKey, { status: 'INPROGRESS', stagingKey });
  }
}

export class InMemoryStagingStore implements Pick<StagingStore, 'get' | 'putIfAbsent'> {
  /** Staged batches by key (also where a test moves them to, as flush would). */
  readonly objects = new Map<string, StagedBatch>();
  /** Objects that are not batches, or not valid ones (e.g. quarantined by flush). */
  readonly otherObjects = new Map<string, unknown>();

  async putIfAbsent(key: string, batch: StagedBatch): Promise<'created' | 'exists'> {
    if (this.objects.has(key)) return 'exists';
    this.objects.set(key, structuredClone(batch));
    return 'created';
  }

  async get(key: string): Promise<string | undefined> {
    const object = this.objects.get(key) ?? this.otherObjects.get(key);
    return object === undefined ? undefined : JSON.stringify(object);
  }

  /** What flush does to a batch it delivers or parks: copy it to `to`, then delete the original. */
  move(from: string, to: string): void {
    const batch = this.objects.get(from);
    if (batch === undefined) throw new Error(`no object ${from}`);
    this.objects.set(to, batch);
    this.objects.delete(from);
  }
}

/** Thrown by a test double to stand for the process dying at that step (nothing after it runs). */
export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}
