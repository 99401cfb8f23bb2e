import { describe, expect, it } from 'vitest';
import { encodeCursor } from './pagination';
import { pageThrough, testApi } from './test-helpers';

interface ErrorBody {
  error: { code: string; message: string };
}

describe('GET /crm/customers and /inventory/products paging', () => {
  it('defaults to 100 items and accepts limits 1 and 500', async () => {
    const api = testApi({ customers: 600 });
    const byDefault = (await api.call('GET', '/crm/customers')).json as { items: unknown[] };
    expect(byDefault.items).toHaveLength(100);
    const one = (await api.call('GET', '/crm/customers', { query: { limit: '1' } })).json as {
      items: unknown[];
    };
    expect(one.items).toHaveLength(1);
    const max = (await api.call('GET', '/crm/customers', { query: { limit: '500' } })).json as {
      items: unknown[];
    };
    expect(max.items).toHaveLength(500);
  });

  it.each([['0'], ['501'], ['-1'], ['abc'], ['1.5'], ['']])(
    'answers 400 INVALID_LIMIT for limit=%j',
    async (limit) => {
      const response = await testApi().call('GET', '/inventory/products', { query: { limit } });
      expect(response.status).toBe(400);
      expect((response.json as ErrorBody).error.code).toBe('INVALID_LIMIT');
    },
  );

  it.each([['yesterday'], ['2026-13-01T00:00:00Z'], ['2026-01-01']])(
    'answers 400 INVALID_UPDATED_SINCE for updatedSince=%j',
    async (updatedSince) => {
      const response = await testApi().call('GET', '/crm/customers', { query: { updatedSince } });
      expect(response.status).toBe(400);
      expect((response.json as ErrorBody).error.code).toBe('INVALID_UPDATED_SINCE');
    },
  );

  it('answers 400 INVALID_CURSOR for tampered, truncated, foreign or garbage cursors', async () => {
    const api = testApi({ customers: 300 });
    const first = (await api.call('GET', '/crm/customers', { query: { limit: '10' } })).json as {
      nextCursor: string;
    };
    const [payload, signature] = first.nextCursor.split('.') as [string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { ms: number };
    const edited = Buffer.from(JSON.stringify({ ...decoded, ms: decoded.ms + 1 })).toString(
      'base64url',
    );
    const bad = [
      `${edited}.${signature}`,
      first.nextCursor.slice(0, -3),
      payload,
      'not-a-cursor',
      '%%%',
      `${first.nextCursor}.extra`,
      encodeCursor('products', { ms: 1, id: 'prod-000001' }),
    ];
    for (const cursor of bad) {
      const response = await api.call('GET', '/crm/customers', { query: { cursor } });
      expect(response.status, cursor).toBe(400);
      expect((response.json as ErrorBody).error.code).toBe('INVALID_CURSOR');
    }
    const good = await api.call('GET', '/crm/customers', { query: { cursor: first.nextCursor } });
    expect(good.status).toBe(200);
  });

  it('pages through every record exactly once and ends with nextCursor null', async () => {
    const api = testApi({ products: 1_234 });
    const { items, pages } = await pageThrough(api, '/inventory/products', { limit: '100' });
    expect(pages).toBe(13);
    expect(items).toHaveLength(1_234);
    expect(new Set(items.map((item) => item.id)).size).toBe(1_234);
  });

  it('serves records mutated mid-sync again at the end, and incremental polls see only changes', async () => {
    const api = testApi({ customers: 1_000 });
    const firstPage = (await api.call('GET', '/crm/customers', { query: { limit: '500' } }))
      .json as {
      items: { id: string }[];
      nextCursor: string;
    };
    api.clock.ms += 1_000;
    const mutated = (
      await api.call('POST', '/admin/mutate', { json: { entity: 'customers', count: 20 } })
    ).json as {
      ids: string[];
    };
    const rest = await pageThrough(api, '/crm/customers', {
      limit: '500',
      cursor: firstPage.nextCursor,
    });
    const seen = [...firstPage.items, ...rest.items].map((item) => item.id);
    expect(new Set(seen).size).toBe(1_000);
    const mutatedAlreadySeen = mutated.ids.filter((id) =>
      firstPage.items.some((item) => item.id === id),
    );
    expect(seen.length).toBe(1_000 + mutatedAlreadySeen.length);
    expect(
      rest.items
        .slice(-20)
        .map((item) => item.id)
        .sort(),
    ).toEqual([...mutated.ids].sort());

    const since = new Date(api.clock.ms).toISOString();
    const incremental = await pageThrough(api, '/crm/customers', { updatedSince: since });
    expect(incremental.items.map((item) => item.id).sort()).toEqual([...mutated.ids].sort());
  });

  it('prints the server time of a 15,000-record full sync at limit 500', async () => {
    const api = testApi({ customers: 15_000 });
    for (const run of ['cold', 'warm']) {
      api.handlerMs.total = 0;
      const { items, pages } = await pageThrough(api, '/crm/customers', { limit: '500' });
      expect(items).toHaveLength(15_000);
      expect(pages).toBe(30);
      console.log(
        `15,000-record full sync, 30 pages of 500 (${run}): ${api.handlerMs.total.toFixed(1)} ms server time`,
      );
    }
  });
});
