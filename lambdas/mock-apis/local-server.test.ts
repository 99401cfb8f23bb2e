import { afterEach, describe, expect, it } from 'vitest';
import { startMockApiServer } from './local-server';
import type { MockApiServer } from './local-server';
import { ADD_CUSTOMER_ACTION, addCustomerRequestXml } from './soap';
import { silentLogger } from './test-helpers';

let server: MockApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('startMockApiServer (node:http adapter)', () => {
  it('serves the handler over real HTTP on a free port and closes cleanly', async () => {
    server = await startMockApiServer({
      port: 0,
      seed: 3,
      customers: 1_200,
      products: 10,
      logger: silentLogger(),
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const started = performance.now();
    const ids = new Set<string>();
    let cursor: string | null = null;
    do {
      const url = new URL('/crm/customers', server.url);
      url.searchParams.set('limit', '500');
      if (cursor) url.searchParams.set('cursor', cursor);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      const page = (await response.json()) as {
        items: { id: string }[];
        nextCursor: string | null;
      };
      page.items.forEach((item) => ids.add(item.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(ids.size).toBe(1_200);
    console.log(`1,200 customers over HTTP in ${(performance.now() - started).toFixed(1)} ms`);

    const bad = await fetch(new URL('/inventory/products?limit=9999', server.url));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_LIMIT');

    const soap = await fetch(new URL('/crm/soap', server.url), {
      method: 'POST',
      headers: { 'content-type': 'text/xml', soapaction: ADD_CUSTOMER_ACTION },
      body: addCustomerRequestXml('Hedy Lamarr', 'hedy@example.com'),
    });
    expect(soap.status).toBe(200);
    expect(await soap.text()).toContain('cust-001201');

    const rateLimited = await fetch(new URL('/admin/faults', server.url), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inventory: { rateLimitRate: 1, retryAfterSeconds: 4 } }),
    });
    expect(rateLimited.status).toBe(200);
    const limited = await fetch(new URL('/inventory/products', server.url));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('4');

    const url = server.url;
    await server.close();
    server = undefined;
    await expect(fetch(new URL('/openapi.json', url))).rejects.toThrow();
  });
});
