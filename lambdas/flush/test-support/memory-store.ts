import type { StagedBatch, StagingStore, StoredObjectSummary } from '../../shared/staging-format';

/** An in-memory bucket for unit tests; `failNext` makes the next call of an operation throw. */
export class MemoryStagingStore implements StagingStore {
  readonly objects = new Map<string, { body: string; lastModified: Date }>();
  private readonly failures = new Map<string, number>();
  private tick = 0;

  constructor(private readonly clock: () => number = () => Date.parse('2026-01-01T00:00:00Z')) {}

  failNext(operation: 'copy' | 'delete' | 'put', times = 1): void {
    this.failures.set(operation, times);
  }

  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  async list(prefix: string): Promise<StoredObjectSummary[]> {
    return this.keys(prefix).map((key) => ({
      key,
      lastModified: this.objects.get(key)!.lastModified,
    }));
  }

  async get(key: string): Promise<string | undefined> {
    return this.objects.get(key)?.body;
  }

  async exists(key: string): Promise<boolean> {
    return this.objects.has(key);
  }

  async put(key: string, body: string): Promise<void> {
    this.maybeFail('put');
    // Each write a little later than the previous one, like LastModified in a real bucket.
    this.objects.set(key, { body, lastModified: new Date(this.clock() + this.tick++) });
  }

  async putIfAbsent(key: string, batch: StagedBatch): Promise<'created' | 'exists'> {
    if (this.objects.has(key)) return 'exists';
    await this.put(key, JSON.stringify(batch));
    return 'created';
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    this.maybeFail('copy');
    const source = this.objects.get(fromKey);
    if (!source) throw Object.assign(new Error(`NoSuchKey ${fromKey}`), { name: 'NoSuchKey' });
    await this.put(toKey, source.body);
  }

  async delete(key: string): Promise<void> {
    this.maybeFail('delete');
    this.objects.delete(key);
  }

  private maybeFail(operation: string): void {
    const remaining = this.failures.get(operation) ?? 0;
    if (remaining > 0) {
      this.failures.set(operation, remaining - 1);
      throw new Error(`injected ${operation} failure`);
    }
  }
}
