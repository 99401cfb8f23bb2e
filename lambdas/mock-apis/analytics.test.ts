import { describe, expect, it } from 'vitest';
import type { AnalyticsPayload } from '../shared/analytics-payload';
import { AnalyticsStatsSchema } from '../shared/analytics-payload';
import { contentHash } from '../shared/content-hash';
import type { Customer, Product } from '../shared/records';
import { testApi } from './test-helpers';

const customer = (id: string, name = 'Ada Lovelace'): Customer => ({
  id,
  name,
  email: `${id}@example.com`,
  createdDate: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-06-01T00:00:00.000Z',
});
const product = (id: string, stockQuantity = 3): Product => ({
  id,
  productName: 'Kettle',
  sku: `SKU-${id}`,
  stockQuantity,
  updatedAt: '2025-06-01T00:00:00.000Z',
});
const payload = (
  eventId: string,
  customers: Customer[],
  products: Product[],
): AnalyticsPayload => ({
  eventId,
  timestamp: '2026-01-01T00:00:00.000Z',
  customers,
  products,
  deletedCustomers: [],
  deletedProducts: [],
  metadata: {
    source: 'flush',
    customerCount: customers.length,
    productCount: products.length,
    batchIds: ['b1'],
  },
});

async function stats(api: ReturnType<typeof testApi>) {
  return AnalyticsStatsSchema.parse((await api.call('GET', '/analytics/stats')).json);
}

describe('POST /analytics/data', () => {
  it('counts payloads, duplicate payloads, unique records and versions, and duplicate records', async () => {
    const api = testApi();
    const post = (key: string, body: AnalyticsPayload) =>
      api.call('POST', '/analytics/data', { headers: { 'Idempotency-Key': key }, json: body });

    const first = await post(
      'e1',
      payload('e1', [customer('c1'), customer('c2')], [product('p1')]),
    );
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ accepted: true, duplicate: false });

    const again = await post(
      'e1',
      payload('e1', [customer('c1'), customer('c2')], [product('p1')]),
    );
    expect(again.json).toEqual({ accepted: true, duplicate: true });

    // New key: c1 unchanged (a duplicate record past the key), c2 renamed (a new version), p2 new.
    await post(
      'e2',
      payload('e2', [customer('c1'), customer('c2', 'Grace Hopper')], [product('p2')]),
    );

    expect(await stats(api)).toEqual({
      payloads: 2,
      duplicatePayloads: 1,
      uniqueRecords: 4,
      uniqueVersions: 5,
      recordsReceived: 6,
      deletes: 0,
      duplicateRecords: 1,
    });

    const received = (
      await api.call('GET', '/analytics/received', { query: { eventType: 'CUSTOMER', id: 'c2' } })
    ).json as { latest: Customer; versions: { contentHash: string; eventId: string }[] };
    expect(received.latest.name).toBe('Grace Hopper');
    expect(received.versions.map((version) => version.eventId)).toEqual(['e1', 'e2']);
    expect(received.versions[1]?.contentHash).toBe(contentHash(customer('c2', 'Grace Hopper')));
    const missing = await api.call('GET', '/analytics/received', {
      query: { eventType: 'PRODUCT', id: 'nope' },
    });
    expect(missing.status).toBe(404);
  });

  it('a delete removes the entity, counts as a version, and a later update re-creates it', async () => {
    const api = testApi();
    const post = (key: string, body: AnalyticsPayload) =>
      api.call('POST', '/analytics/data', { headers: { 'Idempotency-Key': key }, json: body });
    await post('e1', payload('e1', [customer('c1'), customer('c2')], [product('p1')]));
    const gone = { id: 'c1', deletedAt: '2026-01-02T00:00:00.000Z' };
    await post('e2', { ...payload('e2', [], []), deletedCustomers: [gone] });
    // The same delete again under another key: a duplicate record, like any version.
    await post('e3', { ...payload('e3', [], []), deletedCustomers: [gone] });
    expect(await stats(api)).toMatchObject({
      uniqueRecords: 2,
      uniqueVersions: 4,
      recordsReceived: 5,
      deletes: 2,
      duplicateRecords: 1,
    });
    const query = { eventType: 'CUSTOMER', id: 'c1' };
    const deleted = await api.call('GET', '/analytics/received', { query });
    expect(deleted.status).toBe(404);
    expect(deleted.json).toMatchObject({ error: { code: 'DELETED', deletedAt: gone.deletedAt } });
    await post('e4', payload('e4', [customer('c1', 'Ada Again')], []));
    expect((await stats(api)).uniqueRecords).toBe(3);
    expect((await api.call('GET', '/analytics/received', { query })).status).toBe(200);
  });

  it('answers 400 without an Idempotency-Key and stores nothing', async () => {
    const api = testApi();
    const response = await api.call('POST', '/analytics/data', {
      json: payload('e1', [customer('c1')], []),
    });
    expect(response.status).toBe(400);
    expect((response.json as { error: { code: string } }).error.code).toBe(
      'MISSING_IDEMPOTENCY_KEY',
    );
    expect((await stats(api)).payloads).toBe(0);
  });

  it('answers 400 with the zod issues for an invalid payload, and the key stays usable', async () => {
    const api = testApi();
    const bad = {
      ...payload('e1', [customer('c1')], []),
      customers: [{ ...customer('c1'), email: 'nope' }],
    };
    const response = await api.call('POST', '/analytics/data', {
      headers: { 'Idempotency-Key': 'e1' },
      json: bad,
    });
    expect(response.status).toBe(400);
    const error = (response.json as { error: { code: string; issues: { path: unknown[] }[] } })
      .error;
    expect(error.code).toBe('INVALID_PAYLOAD');
    expect(error.issues[0]?.path).toEqual(['customers', 0, 'email']);
    const retry = await api.call('POST', '/analytics/data', {
      headers: { 'Idempotency-Key': 'e1' },
      json: payload('e1', [customer('c1')], []),
    });
    expect(retry.json).toEqual({ accepted: true, duplicate: false });
  });

  it('answers 400 for malformed JSON and 415 for a non-JSON content type', async () => {
    const api = testApi();
    const malformed = await api.call('POST', '/analytics/data', {
      headers: { 'Idempotency-Key': 'k', 'content-type': 'application/json' },
      body: '{"eventId": ',
    });
    expect(malformed.status).toBe(400);
    expect((malformed.json as { error: { code: string } }).error.code).toBe('INVALID_JSON');
    const wrongType = await api.call('POST', '/analytics/data', {
      headers: { 'Idempotency-Key': 'k', 'content-type': 'text/plain' },
      body: JSON.stringify(payload('k', [], [])),
    });
    expect(wrongType.status).toBe(415);
    expect((await stats(api)).payloads).toBe(0);
  });

  it('/admin/reset clears what analytics received', async () => {
    const api = testApi();
    await api.call('POST', '/analytics/data', {
      headers: { 'Idempotency-Key': 'e1' },
      json: payload('e1', [], [product('p1')]),
    });
    expect((await stats(api)).uniqueRecords).toBe(1);
    expect((await api.call('POST', '/admin/reset')).status).toBe(200);
    expect((await stats(api)).uniqueRecords).toBe(0);
  });
});
