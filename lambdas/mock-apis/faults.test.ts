import { describe, expect, it } from 'vitest';
import { decideFault } from './faults';
import { mulberry32 } from './prng';
import { mockSettingsFromEnv } from './settings';
import { testApi } from './test-helpers';

describe('fault injection', () => {
  it('errorRate fails about that share of requests with the configured status, reproducibly', async () => {
    const statuses = async () => {
      const api = testApi({ products: 10 });
      await api.call('PUT', '/admin/faults', {
        json: { inventory: { errorRate: 0.3, status: 502 } },
      });
      const result: number[] = [];
      for (let i = 0; i < 200; i++)
        result.push((await api.call('GET', '/inventory/products')).status);
      return { result, api };
    };
    const { result, api } = await statuses();
    const failed = result.filter((status) => status === 502).length;
    expect(failed).toBeGreaterThan(35);
    expect(failed).toBeLessThan(85);
    expect(result.every((status) => status === 200 || status === 502)).toBe(true);
    expect((await statuses()).result).toEqual(result);
    // Other routes are untouched.
    expect((await api.call('GET', '/crm/customers')).status).toBe(200);
  });

  it('rateLimitRate answers 429 with Retry-After', async () => {
    const api = testApi();
    await api.call('PUT', '/admin/faults', {
      json: { crm: { rateLimitRate: 1, retryAfterSeconds: 7 } },
    });
    const response = await api.call('GET', '/crm/customers');
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('7');
    expect((response.json as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
  });

  it('outageUntil answers 503 until that instant, then recovers', async () => {
    const api = testApi();
    const until = new Date(api.clock.ms + 30_000).toISOString();
    await api.call('PUT', '/admin/faults', { json: { analytics: { outageUntil: until } } });
    const during = await api.call('GET', '/analytics/stats');
    expect(during.status).toBe(503);
    expect(during.headers['retry-after']).toBe('30');
    api.clock.ms += 30_000;
    expect((await api.call('GET', '/analytics/stats')).status).toBe(200);
  });

  it('latencyMs delays the request; DELETE /admin/faults clears everything', async () => {
    const api = testApi();
    await api.call('PUT', '/admin/faults', { json: { crm: { latencyMs: 250, errorRate: 1 } } });
    expect((await api.call('GET', '/crm/customers')).status).toBe(500);
    expect(api.sleeps).toEqual([250]);
    expect((await api.call('DELETE', '/admin/faults')).status).toBe(200);
    expect((await api.call('GET', '/crm/customers')).status).toBe(200);
    expect(api.sleeps).toEqual([250]);
  });

  it('rejects invalid fault settings with 400 and keeps the old ones', async () => {
    const api = testApi();
    await api.call('PUT', '/admin/faults', { json: { crm: { errorRate: 1 } } });
    for (const body of [
      { crm: { errorRate: 2 } },
      { billing: {} },
      { crm: { outageUntil: 'soon' } },
    ]) {
      expect((await api.call('PUT', '/admin/faults', { json: body })).status).toBe(400);
    }
    expect((await api.call('GET', '/admin/faults')).json).toEqual({ crm: { errorRate: 1 } });
  });

  it('admin routes and the OpenAPI document never fail on purpose', async () => {
    const api = testApi(
      {},
      { crm: { errorRate: 1 }, inventory: { errorRate: 1 }, analytics: { errorRate: 1 } },
    );
    expect((await api.call('GET', '/openapi.json')).status).toBe(200);
    expect((await api.call('GET', '/admin/faults')).status).toBe(200);
    expect((await api.call('GET', '/crm/customers')).status).toBe(500);
  });

  it('decideFault: outage beats rate limiting beats errors', () => {
    const settings = {
      crm: { errorRate: 1, rateLimitRate: 1, outageUntil: '2026-01-01T00:01:00Z' },
    };
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(decideFault(settings, 'crm', now, mulberry32(1)).kind).toBe('outage');
    expect(decideFault(settings, 'crm', now + 60_000, mulberry32(1)).kind).toBe('rateLimited');
    expect(decideFault({ crm: { errorRate: 1 } }, 'crm', now, mulberry32(1))).toEqual({
      kind: 'error',
      latencyMs: 0,
      status: 500,
    });
    expect(decideFault(settings, 'inventory', now, mulberry32(1)).kind).toBe('pass');
  });

  it('MOCK_FAULTS sets faults at cold start; bad JSON there fails the cold start clearly', () => {
    const settings = mockSettingsFromEnv({
      MOCK_FAULTS: '{"crm":{"errorRate":0.5}}',
      MOCK_CUSTOMERS: '10',
    });
    expect(settings.faults).toEqual({ crm: { errorRate: 0.5 } });
    expect(settings.dataset).toEqual({ seed: 42, customers: 10, products: 500, driftPerMinute: 0 });
    expect(() => mockSettingsFromEnv({ MOCK_FAULTS: '{nope' })).toThrow(/MOCK_FAULTS/);
    expect(() => mockSettingsFromEnv({ MOCK_FAULTS: '{"crm":{"errorRate":5}}' })).toThrow(
      /Invalid configuration/,
    );
  });
});
