import { describe, expect, it } from 'vitest';
import { paceSources } from './drive';

describe('paceSources', () => {
  it('spreads the CRM full sync over the minimum duration', () => {
    const pacing = paceSources(3_000, 20);
    // 2,000 customers in pages of 100 = 20 pages, 1 s each.
    expect(pacing.faults.crm.latencyMs).toBe(1_000);
    expect(pacing.faults.inventory.latencyMs).toBe(1_000);
    expect(pacing.pageSize).toBe(100);
  });

  it('caps the delay per page so the poller HTTP timeout is never at risk', () => {
    expect(paceSources(30, 60).faults.crm.latencyMs).toBe(2_000);
  });
});
