import type { Random } from './prng';
import { mixSeed, mulberry32, pick } from './prng';

/**
 * The mock CRM / Inventory data set. Records are generated from (seed, index, version) on demand
 * and never stored, so a million records cost nothing until they change; only changed records
 * keep a small override. Base records get strictly increasing `updatedAt` values, so the record
 * order (updatedAt, id) of the untouched part is simply index order and can be searched in
 * O(log n); changed records live in a small list sorted by the same key.
 */

export type EntityName = 'customers' | 'products';
export const entityNames: readonly EntityName[] = ['customers', 'products'];

/** Base records are spread over 2024 so every one of them is older than any change. */
const BASE_EPOCH_MS = Date.UTC(2024, 0, 1);
const BASE_SPAN_MS = 366 * 24 * 3600 * 1000;
export const MAX_RECORDS = 10_000_000;

const idPrefixes: Record<EntityName, string> = { customers: 'cust-', products: 'prod-' };
const entitySalt: Record<EntityName, number> = { customers: 1, products: 2 };

const words = (text: string): string[] => text.split(' ');
const firstNames = words(
  'Ada Grace Alan Edsger Barbara Donald Frances Ken Margaret Dennis Radia Linus Hedy Tim Katherine John',
);
const lastNames = words(
  'Lovelace Hopper Turing Dijkstra Liskov Knuth Allen Thompson Hamilton Ritchie Perlman Torvalds Lamarr Berners-Lee Johnson McCarthy',
);
const adjectives = words('Classic Compact Deluxe Eco Pro Ultra Smart Rugged Mini Max');
const nouns = words('Kettle Lamp Backpack Chair Monitor Speaker Bottle Jacket Router Blender');

export interface SortKey {
  ms: number;
  id: string;
}

export function compareKeys(aMs: number, aId: string, bMs: number, bId: string): number {
  if (aMs !== bMs) return aMs - bMs;
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

interface AddedCustomer {
  name: string;
  email: string;
  createdDateMs: number;
}

interface Override {
  /** Identifies the newest entry of this record in `order`; older entries are stale. */
  seq: number;
  updatedAtMs: number;
  version: number;
  corrupt: boolean;
  added?: AddedCustomer;
}

interface OrderEntry extends SortKey {
  index: number;
  seq: number;
}

export interface PageQuery {
  /** Only records strictly after this key. */
  after: SortKey;
  limit: number;
}

export interface PageResult {
  items: Record<string, unknown>[];
  lastKey: SortKey | undefined;
  hasMore: boolean;
}

class EntityStore {
  private readonly overrides = new Map<number, Override>();
  private order: OrderEntry[] = [];
  private staleEntries = 0;
  private addedCount = 0;
  private readonly stepMs: number;

  constructor(
    readonly entity: EntityName,
    private readonly seed: number,
    readonly baseCount: number,
  ) {
    this.stepMs = Math.max(1, Math.floor(BASE_SPAN_MS / Math.max(1, baseCount)));
  }

  get total(): number {
    return this.baseCount + this.addedCount;
  }

  get overrideCount(): number {
    return this.overrides.size;
  }

  idOf(index: number): string {
    return idPrefixes[this.entity] + String(index + 1).padStart(6, '0');
  }

  /** `cust-000042` → 41, or undefined for an id this store never issued. */
  indexOf(id: string): number | undefined {
    const prefix = idPrefixes[this.entity];
    if (!id.startsWith(prefix)) return undefined;
    const digits = id.slice(prefix.length);
    if (!/^\d{6,}$/.test(digits)) return undefined;
    const index = Number(digits) - 1;
    return index >= 0 && index < this.total && this.idOf(index) === id ? index : undefined;
  }

  private recordRandom(index: number, version: number): Random {
    return mulberry32(mixSeed(this.seed, entitySalt[this.entity], index, version));
  }

  /** Strictly increasing in `index`: the jitter stays below one step. */
  private baseUpdatedAtMs(index: number): number {
    const jitter = mixSeed(this.seed, entitySalt[this.entity], index) % this.stepMs;
    return BASE_EPOCH_MS + index * this.stepMs + jitter;
  }

  private updatedAtMs(index: number): number {
    return this.overrides.get(index)?.updatedAtMs ?? this.baseUpdatedAtMs(index);
  }

  record(index: number): Record<string, unknown> {
    const override = this.overrides.get(index);
    const version = override?.version ?? 0;
    const updatedAt = new Date(this.updatedAtMs(index)).toISOString();
    const corrupt = override?.corrupt ?? false;
    const id = this.idOf(index);
    if (this.entity === 'customers') {
      const base = this.recordRandom(index, 0);
      const first = pick(base, firstNames);
      const last = pick(base, lastNames);
      const createdDateMs = this.baseUpdatedAtMs(index) - Math.floor(base() * 365) * 86_400_000;
      // A change renames the customer (marriage, typo fix); the e-mail stays the same person's.
      const renamed = version > 0 ? this.recordRandom(index, version) : base;
      const name =
        override?.added?.name ?? `${version > 0 ? pick(renamed, firstNames) : first} ${last}`;
      const email =
        override?.added?.email ?? `${first}.${last}.${index + 1}@example.com`.toLowerCase();
      return {
        id,
        name,
        email: corrupt ? 'not-an-email' : email,
        createdDate: new Date(override?.added?.createdDateMs ?? createdDateMs).toISOString(),
        updatedAt,
      };
    }
    const base = this.recordRandom(index, 0);
    const productName = `${pick(base, adjectives)} ${pick(base, nouns)}`;
    const sku = `SKU-${mixSeed(this.seed, index).toString(36).toUpperCase().padStart(7, '0')}-${index + 1}`;
    const stock = Math.floor(this.recordRandom(index, version)() * 1000);
    return { id, productName, sku, stockQuantity: corrupt ? -1 : stock, updatedAt };
  }

  /** Changes the given records: new version (or corrupted), updatedAt = now. */
  touch(indices: readonly number[], nowMs: number, change: 'mutate' | 'corrupt'): void {
    const entries: OrderEntry[] = [];
    for (const index of indices) {
      const previous = this.overrides.get(index);
      if (previous) this.staleEntries++;
      const override: Override = {
        seq: (previous?.seq ?? 0) + 1,
        updatedAtMs: nowMs,
        version: (previous?.version ?? 0) + (change === 'mutate' ? 1 : 0),
        corrupt: change === 'corrupt',
        added: previous?.added,
      };
      this.overrides.set(index, override);
      entries.push({ ms: nowMs, id: this.idOf(index), index, seq: override.seq });
    }
    this.insertOrdered(entries);
  }

  addCustomer(customer: Omit<AddedCustomer, 'createdDateMs'>, nowMs: number): string {
    const index = this.total;
    this.addedCount++;
    this.overrides.set(index, {
      seq: 1,
      updatedAtMs: nowMs,
      version: 0,
      corrupt: false,
      added: { ...customer, createdDateMs: nowMs },
    });
    const id = this.idOf(index);
    this.insertOrdered([{ ms: nowMs, id, index, seq: 1 }]);
    return id;
  }

  private insertOrdered(entries: OrderEntry[]): void {
    entries.sort((a, b) => compareKeys(a.ms, a.id, b.ms, b.id));
    const last = this.order[this.order.length - 1];
    const first = entries[0];
    // Changes normally happen "now", after every earlier change: append. A clock that went
    // backwards (or a fake clock in a test) falls back to a full sort.
    this.order.push(...entries);
    if (last && first && compareKeys(first.ms, first.id, last.ms, last.id) < 0) {
      this.order.sort((a, b) => compareKeys(a.ms, a.id, b.ms, b.id));
    }
    if (this.staleEntries > 1024 && this.staleEntries > this.order.length / 2) {
      this.order = this.order.filter((entry) => this.overrides.get(entry.index)?.seq === entry.seq);
      this.staleEntries = 0;
    }
  }

  /** First base index whose key is strictly after `after`. */
  private firstBaseIndexAfter(after: SortKey): number {
    let low = 0;
    let high = this.baseCount;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareKeys(this.baseUpdatedAtMs(mid), this.idOf(mid), after.ms, after.id) > 0)
        high = mid;
      else low = mid + 1;
    }
    return low;
  }

  private firstOrderPositionAfter(after: SortKey): number {
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const entry = this.order[mid] as OrderEntry;
      if (compareKeys(entry.ms, entry.id, after.ms, after.id) > 0) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  /** Merges the untouched base records and the changed ones in (updatedAt, id) order. */
  page({ after, limit }: PageQuery): PageResult {
    let baseIndex = this.firstBaseIndexAfter(after);
    let orderPos = this.firstOrderPositionAfter(after);
    const picked: number[] = [];
    let lastKey: SortKey | undefined;
    const nextBase = (): number | undefined => {
      while (baseIndex < this.baseCount && this.overrides.has(baseIndex)) baseIndex++;
      return baseIndex < this.baseCount ? baseIndex : undefined;
    };
    const nextChanged = (): OrderEntry | undefined => {
      for (;;) {
        const entry = this.order[orderPos];
        if (!entry || this.overrides.get(entry.index)?.seq === entry.seq) return entry;
        orderPos++;
      }
    };
    while (picked.length <= limit) {
      const base = nextBase();
      const changed = nextChanged();
      if (base === undefined && changed === undefined) break;
      const baseMs = base === undefined ? Infinity : this.baseUpdatedAtMs(base);
      const takeBase =
        base !== undefined &&
        (changed === undefined || compareKeys(baseMs, this.idOf(base), changed.ms, changed.id) < 0);
      if (takeBase) {
        if (picked.length < limit) lastKey = { ms: baseMs, id: this.idOf(base) };
        picked.push(base);
        baseIndex++;
      } else if (changed) {
        if (picked.length < limit) lastKey = { ms: changed.ms, id: changed.id };
        picked.push(changed.index);
        orderPos++;
      }
    }
    const hasMore = picked.length > limit;
    return { items: picked.slice(0, limit).map((index) => this.record(index)), lastKey, hasMore };
  }
}

export interface DatasetOptions {
  seed: number;
  customers: number;
  products: number;
  /** Records of each entity changed per minute as time passes (0 = none). */
  driftPerMinute: number;
}

/**
 * Both entities, the seeded stream that picks which records change, and the drift clock.
 * `now` is passed into every call so tests can move time without fake timers.
 */
export class Dataset {
  readonly stores: Record<EntityName, EntityStore>;
  private readonly changeRandom: Random;
  private readonly driftStartMs: number;
  private driftApplied = 0;

  constructor(
    readonly options: DatasetOptions,
    nowMs: number,
  ) {
    this.stores = {
      customers: new EntityStore('customers', options.seed, options.customers),
      products: new EntityStore('products', options.seed, options.products),
    };
    this.changeRandom = mulberry32(mixSeed(options.seed, 0xc4a9e));
    this.driftStartMs = nowMs;
  }

  /** Applies the changes the drift rate owes since the data set was created. */
  applyDrift(nowMs: number): void {
    if (this.options.driftPerMinute <= 0) return;
    const due = Math.floor(((nowMs - this.driftStartMs) * this.options.driftPerMinute) / 60_000);
    const owed = due - this.driftApplied;
    if (owed <= 0) return;
    this.driftApplied = due;
    for (const entity of entityNames) this.change(entity, owed, nowMs, 'mutate');
  }

  /** Changes `count` distinct records (fewer if the entity is smaller) and returns their ids. */
  change(entity: EntityName, count: number, nowMs: number, kind: 'mutate' | 'corrupt'): string[] {
    const store = this.stores[entity];
    const indices = sampleDistinct(this.changeRandom, store.total, count);
    store.touch(indices, nowMs, kind);
    return indices.map((index) => store.idOf(index));
  }

  page(entity: EntityName, query: PageQuery): PageResult {
    return this.stores[entity].page(query);
  }

  get(entity: EntityName, id: string): Record<string, unknown> | undefined {
    const store = this.stores[entity];
    const index = store.indexOf(id);
    return index === undefined ? undefined : store.record(index);
  }

  addCustomer(customer: { name: string; email: string }, nowMs: number): string {
    return this.stores.customers.addCustomer(customer, nowMs);
  }
}

/**
 * `count` distinct integers from [0, total): a partial Fisher-Yates shuffle over a sparse swap
 * map, so memory is O(count) even when total is a million.
 */
export function sampleDistinct(random: Random, total: number, count: number): number[] {
  const n = Math.min(Math.max(0, Math.floor(count)), total);
  const swapped = new Map<number, number>();
  const result: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (total - i));
    const atJ = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    result.push(atJ);
  }
  return result;
}
