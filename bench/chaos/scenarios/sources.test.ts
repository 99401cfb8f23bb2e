import { describe, expect, it } from 'vitest';
import { MockState } from '../../../lambdas/mock-apis/mock-state';
import { pipeline } from '../../../lambdas/shared/pipeline';
import type { PipelineRun } from '../../../localstack/start-pipeline';
import { crmAheadMs, crmCorrectedMs, inventoryBehindMs, skewedChanges } from './sources';

describe('clock-skew scenario', () => {
  it('stays within what the poller promises: ahead below the tolerance, a step back below the overlap', () => {
    expect(crmAheadMs).toBeGreaterThan(0);
    expect(crmAheadMs).toBeLessThan(pipeline.poller.maxClockSkewSeconds * 1000);
    expect(crmAheadMs - crmCorrectedMs).toBeGreaterThan(0);
    expect(crmAheadMs - crmCorrectedMs).toBeLessThan(pipeline.poller.overlapSeconds * 1000);
    expect(inventoryBehindMs).toBeLessThan(-pipeline.poller.overlapSeconds * 1000);
  });

  it('stamps each change with the skewed source clock', async () => {
    const state = new MockState(
      { seed: 7, customers: 200, products: 100, driftPerMinute: 0 },
      Date.now(),
    );
    const run = { mock: { state } } as unknown as PipelineRun;
    const [first] = skewedChanges();
    const before = Date.now();
    await first!.inject(run);
    const after = Date.now();
    const stamps = (entity: 'customers' | 'products'): number[] => {
      const store = state.dataset.stores[entity];
      return Array.from({ length: store.total }, (_, index) => store.record(index))
        .map((record) => Date.parse(String(record.updatedAt)))
        .filter((ms) => ms > Date.UTC(2025, 0, 1));
    };
    const customers = stamps('customers');
    const products = stamps('products');
    expect(customers).toHaveLength(2);
    expect(products).toHaveLength(1);
    for (const ms of customers) {
      expect(ms).toBeGreaterThanOrEqual(before + crmAheadMs);
      expect(ms).toBeLessThanOrEqual(after + crmAheadMs);
    }
    for (const ms of products) {
      expect(ms).toBeGreaterThanOrEqual(before + inventoryBehindMs);
      expect(ms).toBeLessThanOrEqual(after + inventoryBehindMs);
    }
  });
});
