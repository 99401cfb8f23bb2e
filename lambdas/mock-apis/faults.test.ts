import { describe, expect, it } from 'vitest';
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
    await api.call('PUT', '/admin/faults', { json: { crm: { outageUntil: until } } });
    const during = await api.call('GET', '/crm/customers');
    expect(during.status).toBe(503);
    expect(during.headers['retry-after']).toBe('30');
    api.clock.ms += 30_000;
    expect((await api.call('GET', '/crm/customers')).status).toBe(200);
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

  it('admin routes, the OpenAPI document and the Analytics observation endpoints never fail on purpose', async () => {
    const api = testApi(
      {},
      { crm: { errorRate: 1 }, inventory: { errorRate: 1 }, analytics: { errorRate: 1 } },
    );
    expect((await api.call('GET', '/openapi.json')).status).toBe(200);
    expect((await api.call('GET', '/admin/faults')).status).toBe(200);
    expect((await api.call('GET', '/analytics/stats')).status).toBe(200);
    expect((await api.call('GET', '/analytics/stats/')).status).toBe(200);
    expect(
      (await api.call('GET', '/analytics/received', { query: { eventType: 'CUSTOMER', id: 'x' } }))
        .status,
    ).toBe(404);
    expect((await api.call('GET', '/crm/customers')).status).toBe(500);
    expect((await api.call('POST', '/analytics/data', { json: {} })).status).toBe(500);
  });

  it('latencySpikeRate delays about that share of requests by latencySpikeMs on top of latencyMs, and the tally counts them', async () => {
    const api = testApi();
    await api.call('PUT', '/admin/faults', {
      json: { inventory: { latencyMs: 10, latencySpikeRate: 0.25, latencySpikeMs: 3_000 } },
    });
    for (let i = 0; i < 200; i++)
      expect((await api.call('GET', '/inventory/products')).status).toBe(200);
    const spikes = api.sleeps.filter((ms) => ms === 3_010).length;
    expect(api.sleeps.filter((ms) => ms !== 3_010 && ms !== 10)).toEqual([]);
    expect(spikes).toBeGreaterThan(30);
    expect(spikes).toBeLessThan(70);
    expect(api.state.faultTally.inventory).toEqual({
      requests: 200,
      errors: 0,
      rateLimited: 0,
      outage: 0,
      latencySpikes: spikes,
    });
    expect(api.state.faultTally.crm.requests).toBe(0);
  });

  it('the tally counts each kind of injected failure per route', async () => {
    const api = testApi();
    const until = new Date(api.clock.ms + 1_000).toISOString();
    await api.call('PUT', '/admin/faults', {
      json: { crm: { outageUntil: until }, inventory: { rateLimitRate: 1 } },
    });
    await api.call('GET', '/crm/customers');
    await api.call('GET', '/inventory/products');
    api.clock.ms += 1_000;
    await api.call('PUT', '/admin/faults', { json: { crm: { errorRate: 1, status: 502 } } });
    await api.call('GET', '/crm/customers');
    await api.call('GET', '/crm/customers');
    expect(api.state.faultTally.crm).toMatchObject({ requests: 3, outage: 1, errors: 2 });
    expect(api.state.faultTally.inventory).toMatchObject({ requests: 1, rateLimited: 1 });
  });

  it('outage beats rate limiting beats errors', async () => {
    const api = testApi();
    const until = new Date(api.clock.ms + 60_000).toISOString();
    await api.call('PUT', '/admin/faults', {
      json: { crm: { errorRate: 1, rateLimitRate: 1, outageUntil: until } },
    });
    expect((await api.call('GET', '/crm/customers')).status).toBe(503);
    api.clock.ms += 60_000;
    expect((await api.call('GET', '/crm/customers')).status).toBe(429);
    await api.call('PUT', '/admin/faults', { json: { crm: { errorRate: 1 } } });
    const error = await api.call('GET', '/crm/customers');
    expect(error.status).toBe(500);
    expect((error.json as { error: { code: string } }).error.code).toBe('INJECTED_FAULT');
    expect((await api.call('GET', '/inventory/products')).status).toBe(200);
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
