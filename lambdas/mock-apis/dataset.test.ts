import { describe, expect, it } from 'vitest';
import { CustomerSchema, ProductSchema } from '../shared/records';
import { Dataset, sampleDistinct } from './dataset';
import { readPage } from './pagination';
import { mulberry32 } from './prng';

const NOW = Date.parse('2026-01-01T00:00:00.000Z');
const options = { seed: 11, customers: 2_000, products: 700, driftPerMinute: 0 };

function everything(
  dataset: Dataset,
  entity: 'customers' | 'products',
  query: Record<string, string> = {},
) {
  const items: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const page = readPage(dataset, entity, {
      limit: '137',
      ...query,
      ...(cursor ? { cursor } : {}),
    });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

describe('Dataset', () => {
  it('is deterministic: the same seed gives the same records, another seed different ones', () => {
    const a = everything(new Dataset(options, NOW), 'customers');
    const b = everything(new Dataset(options, NOW + 12345), 'customers');
    const c = everything(new Dataset({ ...options, seed: 12 }, NOW), 'customers');
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(c.map((item) => item.id)).toEqual(a.map((item) => item.id));
  });

  it('generates records that pass the shared zod schemas, with stable ids', () => {
    const dataset = new Dataset(options, NOW);
    const customers = everything(dataset, 'customers');
    const products = everything(dataset, 'products');
    for (const customer of customers) CustomerSchema.parse(customer);
    for (const product of products) ProductSchema.parse(product);
    expect(customers[0]?.id).toBe('cust-000001');
    expect(products[699]?.id).toBe('prod-000700');
    expect(new Set(customers.map((customer) => customer.email)).size).toBe(2_000);
  });

  it('pages cover every record exactly once, in (updatedAt, id) order, when nothing changes', () => {
    const items = everything(new Dataset(options, NOW), 'products');
    expect(items).toHaveLength(700);
    expect(new Set(items.map((item) => item.id)).size).toBe(700);
    const keys = items.map((item) => `${item.updatedAt as string}|${item.id as string}`);
    expect([...keys].sort()).toEqual(keys);
  });

  it('filters by updatedSince inclusively', () => {
    const dataset = new Dataset(options, NOW);
    const all = everything(dataset, 'customers');
    const pivot = all[1234] as { updatedAt: string };
    const since = everything(dataset, 'customers', { updatedSince: pivot.updatedAt });
    expect(since).toEqual(all.slice(1234));
    expect(since.every((item) => (item.updatedAt as string) >= pivot.updatedAt)).toBe(true);
  });

  it('mutate changes the chosen records, bumps updatedAt to now and moves them to the end', () => {
    const dataset = new Dataset(options, NOW);
    const before = new Map(everything(dataset, 'customers').map((item) => [item.id, item]));
    const ids = dataset.change('customers', 25, NOW + 1000, 'mutate');
    expect(new Set(ids).size).toBe(25);
    const after = everything(dataset, 'customers');
    expect(after).toHaveLength(2_000);
    const tail = after.slice(-25);
    expect(tail.map((item) => item.id).sort()).toEqual([...ids].sort());
    for (const item of tail) {
      expect(item.updatedAt).toBe(new Date(NOW + 1000).toISOString());
      expect(item).not.toEqual(before.get(item.id as string));
      CustomerSchema.parse(item);
    }
    const changedSince = everything(dataset, 'customers', {
      updatedSince: new Date(NOW).toISOString(),
    });
    expect(changedSince.map((item) => item.id).sort()).toEqual([...ids].sort());
  });

  it('a soft delete is served with deletedAt in updatedSince pages only; a hard delete nowhere', () => {
    const dataset = new Dataset(options, NOW);
    const soft = dataset.change('customers', 30, NOW + 1000, 'delete');
    const hard = dataset.change(
      'customers',
      ['cust-000007', 'cust-000008', 'nope'],
      NOW + 2000,
      'hard-delete',
    );
    expect(soft).toHaveLength(30);
    // An id already deleted (soft) or unknown is skipped.
    expect(hard.length).toBe(
      2 - soft.filter((id) => ['cust-000007', 'cust-000008'].includes(id)).length,
    );
    const full = everything(dataset, 'customers').map((item) => item.id);
    expect(full).toHaveLength(2_000 - 30 - hard.length);
    expect(full.filter((id) => soft.includes(id as string) || hard.includes(id as string))).toEqual(
      [],
    );
    const since = everything(dataset, 'customers', { updatedSince: new Date(NOW).toISOString() });
    const deletedAt = new Date(NOW + 1000).toISOString();
    expect(since).toEqual([...soft].sort().map((id) => ({ id, updatedAt: deletedAt, deletedAt })));
    // A deleted record is not changed again.
    expect(dataset.change('customers', soft, NOW + 3000, 'mutate')).toEqual([]);
    expect(new Dataset(options, NOW).change('customers', 30, NOW, 'delete')).toEqual(soft);
  });

  it('an id given twice is changed once and served once', () => {
    const dataset = new Dataset(options, NOW);
    const ids = ['cust-000007', 'cust-000007'];
    expect(dataset.change('customers', ids, NOW + 1000, 'mutate')).toEqual(['cust-000007']);
    expect(dataset.change('customers', ids, NOW + 2000, 'delete')).toEqual(['cust-000007']);
    const since = everything(dataset, 'customers', { updatedSince: new Date(NOW).toISOString() });
    expect(since.map((item) => item.id)).toEqual(['cust-000007']);
  });

  it('the same seed picks the same records to change', () => {
    const one = new Dataset(options, NOW).change('products', 10, NOW, 'mutate');
    const two = new Dataset(options, NOW).change('products', 10, NOW, 'mutate');
    expect(two).toEqual(one);
  });

  it('a record changed during a full sync is served again at the end (at-least-once)', () => {
    const dataset = new Dataset(options, NOW);
    const first = readPage(dataset, 'products', { limit: '500' });
    const seenId = first.items[10]?.id as string;
    const index = Number(seenId.slice(5)) - 1;
    dataset.stores.products.touch([index], NOW + 5, 'mutate');
    const rest = readPage(dataset, 'products', {
      limit: '500',
      cursor: first.nextCursor as string,
    });
    expect(rest.nextCursor).toBeNull();
    expect(rest.items).toHaveLength(201);
    expect(rest.items.at(-1)?.id).toBe(seenId);
  });

  it('corrupt makes records schema-invalid and bumps updatedAt; a later mutate repairs them', () => {
    const dataset = new Dataset(options, NOW);
    const customerIds = dataset.change('customers', 3, NOW + 1, 'corrupt');
    const productIds = dataset.change('products', 3, NOW + 1, 'corrupt');
    for (const id of customerIds) {
      const customer = dataset.get('customers', id);
      expect(CustomerSchema.safeParse(customer).success).toBe(false);
      expect(customer?.updatedAt).toBe(new Date(NOW + 1).toISOString());
    }
    for (const id of productIds)
      expect(ProductSchema.safeParse(dataset.get('products', id)).success).toBe(false);
    const since = everything(dataset, 'customers', { updatedSince: new Date(NOW).toISOString() });
    expect(since.map((item) => item.id).sort()).toEqual([...customerIds].sort());

    const index = Number(customerIds[0]?.slice(5)) - 1;
    dataset.stores.customers.touch([index], NOW + 2, 'mutate');
    expect(
      CustomerSchema.safeParse(dataset.get('customers', customerIds[0] as string)).success,
    ).toBe(true);
  });

  it('drift changes records as time passes, at the configured rate per entity', () => {
    const dataset = new Dataset({ ...options, driftPerMinute: 30 }, NOW);
    dataset.applyDrift(NOW + 59_000);
    expect(dataset.stores.customers.overrideCount).toBe(29);
    dataset.applyDrift(NOW + 120_000);
    const changed = everything(dataset, 'products', { updatedSince: new Date(NOW).toISOString() });
    // 60 changes to products in two minutes, some may hit the same record twice.
    expect(changed.length).toBeGreaterThan(40);
    expect(changed.length).toBeLessThanOrEqual(60);
    expect(new Dataset(options, NOW).stores.customers.overrideCount).toBe(0);
  });

  it('changes more records in one call than a function takes arguments, and keeps serving them', () => {
    const dataset = new Dataset({ ...options, customers: 200_000 }, NOW);
    expect(dataset.change('customers', 150_000, NOW + 1, 'mutate')).toHaveLength(150_000);
    const since = new Date(NOW).toISOString();
    let cursor: string | null = null;
    let served = 0;
    do {
      const page = readPage(dataset, 'customers', {
        limit: '500',
        updatedSince: since,
        ...(cursor ? { cursor } : {}),
      });
      served += page.items.length;
      cursor = page.nextCursor;
    } while (cursor);
    expect(served).toBe(150_000);
  });

  it('handles a million records lazily: deep pages are fast and memory stays small', () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const dataset = new Dataset({ ...options, customers: 1_000_000 }, NOW);
    dataset.change('customers', 5_000, NOW + 1, 'mutate');
    const started = performance.now();
    const middle = readPage(dataset, 'customers', {
      limit: '500',
      updatedSince: '2024-07-01T00:00:00Z',
    });
    const elapsed = performance.now() - started;
    expect(middle.items).toHaveLength(500);
    expect((middle.items[0]?.updatedAt as string) >= '2024-07-01T00:00:00.000Z').toBe(true);
    const tail = readPage(dataset, 'customers', {
      limit: '500',
      updatedSince: new Date(NOW).toISOString(),
    });
    expect(tail.items).toHaveLength(500);
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    console.log(
      `1M customers: deep page in ${elapsed.toFixed(2)} ms, heap growth ${heapGrowthMb.toFixed(1)} MB`,
    );
    expect(dataset.get('customers', 'cust-1000000')?.id).toBe('cust-1000000');
    expect(dataset.get('customers', 'cust-1000001')).toBeUndefined();
  });
});

describe('sampleDistinct', () => {
  it('returns distinct indices within range, clamped to the population', () => {
    const picked = sampleDistinct(mulberry32(1), 50, 50);
    expect([...picked].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(sampleDistinct(mulberry32(1), 5, 10)).toHaveLength(5);
    const sparse = sampleDistinct(mulberry32(2), 1_000_000, 1000);
    expect(new Set(sparse).size).toBe(1000);
    expect(sparse.every((index) => index >= 0 && index < 1_000_000)).toBe(true);
  });
});
