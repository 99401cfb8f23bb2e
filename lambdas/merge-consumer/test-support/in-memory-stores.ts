import type { StagedBatchWithVersions } from '../../shared/staging-format';
import type { ClaimOutcome, ClaimStore, Completion } from '../claim-store';
import { ClaimChangedError } from '../claim-store';
import type { StagingStore } from '../staging-store';

/** The claim semantics of StagingClaimPersistenceLayer, in memory, for unit tests. */
export class InMemoryClaimStore implements ClaimStore {
  readonly items = new Map<
    string,
    { status: 'INPROGRESS' | 'COMPLETED'; stagingKey: string; result?: string }
  >();
  readonly calls: string[] = [];

  async claim(versionKey: string, stagingKey: string): Promise<ClaimOutcome> {
    this.calls.push(`claim ${versionKey}`);
    const item = this.items.get(versionKey);
    if (item === undefined) {
      this.items.set(versionKey, { status: 'INPROGRESS', stagingKey });
      return { kind: 'claimed' };
    }
    return item.status === 'COMPLETED'
      ? { kind: 'completed' }
      : { kind: 'in-progress', stagingKey: item.stagingKey };
  }

  /** Records one `claimAll <n>` call, then claims each version as `claim` does. */
  async claimAll(versionKeys: readonly string[], stagingKey: string): Promise<ClaimOutcome[]> {
    this.calls.push(`claimAll ${versionKeys.length}`);
    return Promise.all(versionKeys.map((versionKey) => this.claim(versionKey, stagingKey)));
  }

  async takeOver(versionKey: string, from: string | undefined, to: string): Promise<void> {
    this.calls.push(`takeOver ${versionKey}`);
    const item = this.items.get(versionKey);
    if (item?.status !== 'INPROGRESS' || item.stagingKey !== from)
      throw new ClaimChangedError(versionKey);
    item.stagingKey = to;
  }

  async complete(versionKey: string, stagingKey: string): Promise<void> {
    this.calls.push(`complete ${versionKey}`);
    this.items.set(versionKey, { status: 'COMPLETED', stagingKey, result: stagingKey });
  }

  async completeAll(completions: readonly Completion[]): Promise<unknown[]> {
    this.calls.push(`completeAll ${completions.length}`);
    return Promise.all(
      completions.map(({ versionKey, stagingKey }) =>
        this.complete(versionKey, stagingKey).then(() => undefined),
      ),
    );
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
