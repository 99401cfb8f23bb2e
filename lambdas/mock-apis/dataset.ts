import { z } from 'zod';
import type { Random } from './prng';
import { mixSeed, mulberry32, pick } from './prng';

/**
 * The mock CRM / Inventory data set. Records are generated from (seed, index, version) on demand
 * and never stored, so a million records cost nothing until they change; only changed records
 * keep a small override. Base records get strictly increasing `updatedAt` values, so the record
 * order (updatedAt, id) of the untouched part is simply index order and can be searched in
 * O(log n); changed records live in a small list sorted by the same key.
 */

export const entityNames = ['customers', 'products'] as const;
export type EntityName = (typeof entityNames)[number];
export type Change = 'mutate' | 'corrupt' | 'delete' | 'hard-delete';

/** Base records are spread over 2024 so every one of them is older than any change. */
const BASE_EPOCH_MS = Date.UTC(2024, 0, 1);
const BASE_SPAN_MS = 366 * 24 * 3600 * 1000;
export const MAX_RECORDS = 10_000_000;

const words = (text: string): string[] => text.split(' ');
const firstNames = words(
  'Ada Grace Alan Edsger Barbara Donald Frances Ken Margaret Dennis Radia Linus Hedy Tim Katherine John',
);
const lastNames = words(
  'Lovelace Hopper Turing Dijkstra Liskov Knuth Allen Thompson Hamilton Ritchie Perlman Torvalds Lamarr Berners-Lee Johnson McCarthy',
);
const adjectives = words('Classic Compact Deluxe Eco Pro Ultra Smart Rugged Mini Max');
const nouns = words('Kettle Lamp Backpack Chair Monitor Speaker Bottle Jacket Router Blender');

interface FieldInput {
  index: number;
  version: number;
  seed: number;
  baseMs: number;
  /** The record's own stream for a version (version 0 = the base record). */
  random: (version: number) => Random;
}

/** Per entity: what a corrupted record breaks is the published schema, on purpose. */
const entities: Record<
  EntityName,
  {
    prefix: string;
    salt: number;
    fields: (input: FieldInput) => Record<string, unknown>;
    corrupt: Record<string, unknown>;
  }
> = {
  customers: {
    prefix: 'cust-',
    salt: 1,
    fields: ({ index, version, baseMs, random }) => {
      const base = random(0);
      const first = pick(base, firstNames);
      const last = pick(base, lastNames);
      const createdDateMs = baseMs - Math.floor(base() * 365) * 86_400_000;
      // A change renames the customer (marriage, typo fix); the e-mail stays the same person's.
      return {
        name: `${version > 0 ? pick(random(version), firstNames) : first} ${last}`,
        email: `${first}.${last}.${index + 1}@example.com`.toLowerCase(),
        createdDate: new Date(createdDateMs).toISOString(),
      };
    },
    corrupt: { email: 'not-an-email' },
  },
  products: {
    prefix: 'prod-',
    salt: 2,
    fields: ({ index, version, seed, random }) => {
      const base = random(0);
      return {
        productName: `${pick(base, adjectives)} ${pick(base, nouns)}`,
        sku: `SKU-${mixSeed(seed, index).toString(36).toUpperCase().padStart(7, '0')}-${index + 1}`,
        stockQuantity: Math.floor(random(version)() * 1000),
      };
    },
    corrupt: { stockQuantity: -1 },
  },
};

export interface SortKey {
  ms: number;
  id: string;
}

export function compareKeys(a: SortKey, b: SortKey): number {
  if (a.ms !== b.ms) return a.ms - b.ms;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The first i in [0, n) for which `isAfter` holds, `isAfter` being false and then true. */
function firstWhere(n: number, isAfter: (i: number) => boolean): number {
  let low = 0;
  let high = n;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (isAfter(mid)) high = mid;
    else low = mid + 1;
  }
  return low;
}

interface Override {
  updatedAtMs: number;
  version: number;
  /** The last change; none for a record added through the API (SOAP AddCustomer). */
  change?: Change | undefined;
  /** An added record's fields; they never change. */
  added?: Record<string, unknown> | undefined;
}

const isDelete = (change?: Change): boolean => change === 'delete' || change === 'hard-delete';

interface OrderEntry extends SortKey {
  index: number;
}

class EntityStore {
  private readonly overrides = new Map<number, Override>();
  /** The changed records, one entry each, in (updatedAt, id) order. */
  private order: OrderEntry[] = [];
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
    return entities[this.entity].prefix + String(index + 1).padStart(6, '0');
  }

  /** `cust-000042` → 41, or undefined for an id this store never issued. */
  indexOf(id: string): number | undefined {
    const match = /^([a-z]+-)(\d{6,})$/.exec(id);
    const index = Number(match?.[2]) - 1;
    return index >= 0 && index < this.total && this.idOf(index) === id ? index : undefined;
  }

  /** Strictly increasing in `index`: the jitter stays below one step. */
  private baseKey(index: number): SortKey {
    const jitter = mixSeed(this.seed, entities[this.entity].salt, index) % this.stepMs;
    return { ms: BASE_EPOCH_MS + index * this.stepMs + jitter, id: this.idOf(index) };
  }

  isDeleted(index: number): boolean {
    return isDelete(this.overrides.get(index)?.change);
  }

  record(index: number): Record<string, unknown> {
    const { salt, fields, corrupt } = entities[this.entity];
    const override = this.overrides.get(index);
    const baseMs = this.baseKey(index).ms;
    if (override && isDelete(override.change)) {
      const deletedAt = new Date(override.updatedAtMs).toISOString();
      return { id: this.idOf(index), updatedAt: deletedAt, deletedAt };
    }
    const generated = fields({
      index,
      version: override?.version ?? 0,
      seed: this.seed,
      baseMs,
      random: (version) => mulberry32(mixSeed(this.seed, salt, index, version)),
    });
    return {
      id: this.idOf(index),
      ...generated,
      ...override?.added,
      ...(override?.change === 'corrupt' ? corrupt : {}),
      updatedAt: new Date(override?.updatedAtMs ?? baseMs).toISOString(),
    };
  }

  touch(indices: readonly number[], nowMs: number, change: Change): void {
    const changes = indices.map((index): [number, Override] => {
      const { version = 0, added } = this.overrides.get(index) ?? {};
      const next = version + (change === 'mutate' ? 1 : 0);
      return [index, { updatedAtMs: nowMs, version: next, change, added }];
    });
    this.override(changes);
  }

  /** A new record with the given fields (they override the generated ones); returns its id. */
  add(added: Record<string, unknown>, nowMs: number): string {
    const index = this.total;
    this.addedCount++;
    this.override([[index, { updatedAtMs: nowMs, version: 0, added }]]);
    return this.idOf(index);
  }

  private override(changes: [number, Override][]): void {
    const changed = new Set(changes.map(([index]) => index));
    if (changes.some(([index]) => this.overrides.has(index))) {
      this.order = this.order.filter((entry) => !changed.has(entry.index));
    }
    const entries = changes.map(([index, override]) => {
      this.overrides.set(index, override);
      return { ms: override.updatedAtMs, id: this.idOf(index), index };
    });
    entries.sort(compareKeys);
    const last = this.order.at(-1);
    const first = entries[0];
    // Changes normally happen "now", after every earlier change: append, one by one (push(...)
    // of 150,000 entries overflows the stack). A clock that went backwards (or a fake clock in a
    // test) falls back to a full sort.
    for (const entry of entries) this.order.push(entry);
    if (last && first && compareKeys(first, last) < 0) this.order.sort(compareKeys);
  }

  /** Up to `limit` records after `after`: the untouched base records merged with the changed. */
  page(after: SortKey, limit: number, withSoftDeletes: boolean) {
    let base = firstWhere(this.baseCount, (i) => compareKeys(this.baseKey(i), after) > 0);
    let position = firstWhere(this.order.length, (i) => {
      return compareKeys(this.order[i] as OrderEntry, after) > 0;
    });
    const picked: OrderEntry[] = [];
    while (picked.length <= limit) {
      while (base < this.baseCount && this.overrides.has(base)) base++;
      const changed = this.order[position];
      const baseKey = base < this.baseCount ? this.baseKey(base) : undefined;
      if (baseKey && (!changed || compareKeys(baseKey, changed) < 0)) {
        picked.push({ ...baseKey, index: base++ });
      } else if (changed) {
        const { change } = this.overrides.get(changed.index) ?? {};
        const hidden = change === 'hard-delete' || (change === 'delete' && !withSoftDeletes);
        if (!hidden) picked.push(changed);
        position++;
      } else break;
    }
    const page = picked.slice(0, limit);
    const items = page.map(({ index }) => this.record(index));
    return { items, last: page.at(-1), hasMore: picked.length > limit };
  }
}

/** The bounds of MOCK_* (settings.ts), serve.ts's flags and POST /admin/reset's body. */
export const DatasetOptionsSchema = z.strictObject({
  seed: z.number().int().min(0).max(0xffffffff),
  customers: z.number().int().min(0).max(MAX_RECORDS),
  products: z.number().int().min(0).max(MAX_RECORDS),
  /** Records of each entity changed per minute as time passes (0 = none). */
  driftPerMinute: z.number().min(0).max(1_000_000),
});
export type DatasetOptions = z.infer<typeof DatasetOptionsSchema>;

/** `now` is passed into every call, so tests move time without fake timers. */
export class Dataset {
  readonly stores: Record<EntityName, EntityStore>;
  private readonly changeRandom: Random;
  private driftApplied = 0;

  constructor(
    readonly options: DatasetOptions,
    private readonly driftStartMs: number,
  ) {
    this.stores = {
      customers: new EntityStore('customers', options.seed, options.customers),
      products: new EntityStore('products', options.seed, options.products),
    };
    this.changeRandom = mulberry32(mixSeed(options.seed, 0xc4a9e));
  }

  applyDrift(nowMs: number): void {
    if (this.options.driftPerMinute <= 0) return;
    const due = Math.floor(((nowMs - this.driftStartMs) * this.options.driftPerMinute) / 60_000);
    const owed = due - this.driftApplied;
    if (owed <= 0) return;
    this.driftApplied = due;
    for (const entity of entityNames) this.change(entity, owed, nowMs, 'mutate');
  }

  /** Changes `count` records (seeded choice) or the given ids (once each); skips deleted and unknown. */
  change(entity: EntityName, which: number | readonly string[], nowMs: number, kind: Change) {
    const store = this.stores[entity];
    const indices = (
      typeof which === 'number'
        ? sampleDistinct(this.changeRandom, store.total, which)
        : [...new Set(which)].map((id) => store.indexOf(id) ?? -1)
    ).filter((index) => index >= 0 && !store.isDeleted(index));
    store.touch(indices, nowMs, kind);
    return indices.map((index) => store.idOf(index));
  }

  get(entity: EntityName, id: string): Record<string, unknown> | undefined {
    const store = this.stores[entity];
    const index = store.indexOf(id);
    return index === undefined ? undefined : store.record(index);
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
