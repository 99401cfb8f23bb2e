import { describe, expect, it } from 'vitest';
import { MockState } from '../../lambdas/mock-apis/mock-state';
import type { AnalyticsPayload } from '../../lambdas/shared/analytics-payload';
import { AnalyticsPayloadSchema } from '../../lambdas/shared/analytics-payload';
import { checkDelivery } from './delivery-check';

const NOW = Date.parse('2026-01-01T00:00:00.000Z');
const metadata = { source: 'test', customerCount: 0, productCount: 0, batchIds: ['b'] };
const post = (state: MockState, eventId: string, body: Partial<AnalyticsPayload>) =>
  state.analytics.accept(
    eventId,
    AnalyticsPayloadSchema.parse({
      eventId,
      timestamp: new Date(NOW).toISOString(),
      customers: [],
      products: [],
      metadata,
      ...body,
    }),
    new Date(NOW),
  );

describe('checkDelivery', () => {
  it('counts a delete that Analytics did not take as lost, and one it took as received', () => {
    const state = new MockState({ seed: 3, customers: 20, products: 10, driftPerMinute: 0 }, NOW);
    const all = (entity: 'customers' | 'products') =>
      Array.from({ length: state.dataset.stores[entity].total }, (_, i) =>
        state.dataset.stores[entity].record(i),
      );
    post(state, 'e1', {
      customers: all('customers'),
      products: all('products'),
    } as Partial<AnalyticsPayload>);
    expect(checkDelivery(state)).toMatchObject({ expected: 30, received: 30, lost: 0 });

    const ids = state.dataset.change('customers', 2, NOW + 1, 'delete');
    const [hard] = state.dataset.change('products', 1, NOW + 1, 'hard-delete');
    const before = checkDelivery(state);
    expect(before).toMatchObject({
      expected: 30,
      received: 27,
      lost: 3,
      deletes: { expected: 3, received: 0 },
    });
    expect(before.lostSample).toContain(`PRODUCT#${String(hard)}`);

    const deletedAt = new Date(NOW + 1).toISOString();
    post(state, 'e2', {
      deletedCustomers: ids.map((id) => ({ id, deletedAt })),
      deletedProducts: [{ id: String(hard), deletedAt }],
    });
    expect(checkDelivery(state)).toMatchObject({
      received: 30,
      lost: 0,
      duplicated: 0,
      deletes: { expected: 3, received: 3 },
    });
    expect(state.analytics.getStats()).toMatchObject({ uniqueRecords: 27, deletes: 3 });
  });
});
