import type { StagedBatchWithVersions } from '../../shared/staging-format';
import type { ClaimStore, StoredClaim } from '../claim-store';
import type { StagingStore } from '../staging-store';

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

export class InMemoryStagingStore implements StagingStore {
  /** Staged batches by key (also where a test moves them to, as flush would). */
  readonly objects = new Map<string, StagedBatchWithVersions>();
  /** Objects that are not batches (e.g. flush's dlq pointers). */
  readonly otherObjects = new Map<string, unknown>();

  async putIfAbsent(key: string, batch: StagedBatchWithVersions): Promise<'created' | 'exists'> {
    if (this.objects.has(key)) return 'exists';
    this.objects.set(key, structuredClone(batch));
    return 'created';
  }

  async read(key: string): Promise<StagedBatchWithVersions | undefined> {
    const batch = this.objects.get(key);
    return batch === undefined ? undefined : structuredClone(batch);
  }

  async readJson(key: string): Promise<unknown> {
    return structuredClone(this.objects.get(key) ?? this.otherObjects.get(key));
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
