import { MAX_RECORDS } from './dataset';
import { describe, expect, it } from 'vitest';
import { CustomerSchema } from '../shared/records';
import { pageThrough, testApi } from './test-helpers';

interface ErrorBody {
  error: { code: string; message: string };
}

describe('routing and malformed input', () => {
  it('answers 404 JSON for an unknown route and 405 with Allow for a wrong method', async () => {
    const api = testApi();
    const missing = await api.call('GET', '/crm/orders');
    expect(missing.status).toBe(404);
    expect((missing.json as ErrorBody).error.code).toBe('NOT_FOUND');
    const wrongMethod = await api.call('DELETE', '/crm/customers');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET');
    expect((wrongMethod.json as ErrorBody).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('tolerates a trailing slash', async () => {
    expect((await testApi().call('GET', '/crm/customers/')).status).toBe(200);
  });

  it('rejects bad admin bodies with 400 / 415 and never throws', async () => {
    const api = testApi();
    const cases: { body: string; headers: Record<string, string>; status: number }[] = [
      { body: '{', headers: { 'content-type': 'application/json' }, status: 400 },
      {
        body: '{"entity":"customers","count":1}',
        headers: { 'content-type': 'text/plain' },
        status: 415,
      },
      {
        body: '{"entity":"orders","count":1}',
        headers: { 'content-type': 'application/json' },
        status: 400,
      },
      {
        body: '{"entity":"customers","count":0}',
        headers: { 'content-type': 'application/json' },
        status: 400,
      },
      { body: '', headers: {}, status: 400 },
    ];
    for (const { body, headers, status } of cases) {
      expect((await api.call('POST', '/admin/mutate', { body, headers })).status, body).toBe(
        status,
      );
    }
    expect((await api.call('POST', '/admin/reset', { json: { customers: -1 } })).status).toBe(400);
    expect((await api.call('POST', '/admin/reset', { json: { unknown: 1 } })).status).toBe(400);
  });

  it('decodes base64 bodies as Function URLs deliver them', async () => {
    const api = testApi();
    const event = {
      body: Buffer.from(JSON.stringify({ entity: 'products', count: 2 })).toString('base64'),
      isBase64Encoded: true,
    };
    const { v2Event } = await import('./test-helpers');
    const result = await api.handle({
      ...v2Event(
        'POST',
        '/admin/mutate',
        undefined,
        { 'Content-Type': 'application/json' },
        undefined,
      ),
      ...event,
    });
    expect(result.statusCode).toBe(200);
    expect((JSON.parse(result.body ?? '') as { ids: string[] }).ids).toHaveLength(2);
  });

  it('POST /admin/reset regenerates the data set from the given seed and sizes', async () => {
    const api = testApi({ seed: 1, customers: 10 });
    const before = await pageThrough(api, '/crm/customers');
    const reset = await api.call('POST', '/admin/reset', {
      json: { seed: 2, customers: 25, driftPerMinute: 0 },
    });
    expect(reset.json).toEqual({ seed: 2, customers: 25, products: 50, driftPerMinute: 0 });
    const after = await pageThrough(api, '/crm/customers');
    expect(after.items).toHaveLength(25);
    expect(after.items.slice(0, 10)).not.toEqual(before.items);
    after.items.forEach((item) => CustomerSchema.parse(item));
    await api.call('POST', '/admin/reset', { json: { seed: 1, customers: 10 } });
    expect((await pageThrough(api, '/crm/customers')).items).toEqual(before.items);
  });

  it('drift from the reset body changes records as the clock moves', async () => {
    const api = testApi();
    await api.call('POST', '/admin/reset', { json: { driftPerMinute: 10 } });
    const since = new Date(api.clock.ms).toISOString();
    api.clock.ms += 3 * 60_000;
    const changed = await pageThrough(api, '/crm/customers', { updatedSince: since });
    expect(changed.items.length).toBeGreaterThan(20);
    expect(changed.items.length).toBeLessThanOrEqual(30);
  });

  it('serves an OpenAPI 3.1 document listing every route', async () => {
    const response = await testApi().call('GET', '/openapi.json');
    expect(response.status).toBe(200);
    const document = response.json as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(document.openapi).toMatch(/^3\.1\./);
    const expected: [string, string][] = [
      ['/crm/customers', 'get'],
      ['/crm/soap', 'post'],
      ['/inventory/products', 'get'],
      ['/analytics/data', 'post'],
      ['/analytics/stats', 'get'],
      ['/analytics/received', 'get'],
      ['/openapi.json', 'get'],
      ['/admin/reset', 'post'],
      ['/admin/mutate', 'post'],
      ['/admin/corrupt', 'post'],
      ['/admin/delete', 'post'],
      ['/admin/faults', 'put'],
      ['/admin/faults', 'delete'],
    ];
    for (const [path, method] of expected)
      expect(document.paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });

  it('publishes bodies and headers exactly as strict as the server checks them', async () => {
    type Operation = {
      requestBody: { content: Record<string, { schema: Record<string, unknown> }> };
      parameters: { name: string; schema: Record<string, unknown> }[];
    };
    const { paths } = (await testApi().call('GET', '/openapi.json')).json as {
      paths: Record<string, Record<string, Operation>>;
    };
    const body = (path: string, method = 'post') =>
      paths[path]![method]!.requestBody.content['application/json']!.schema as {
        additionalProperties?: boolean;
        properties: Record<string, Record<string, unknown>>;
        anyOf: { additionalProperties: boolean; properties: Record<string, unknown> }[];
      };
    expect(body('/admin/reset').additionalProperties).toBe(false);
    expect(body('/admin/reset').properties.customers).toMatchObject({ maximum: MAX_RECORDS });
    const [byCount, byIds] = body('/admin/delete').anyOf;
    expect(byCount?.properties.count).toMatchObject({ maximum: MAX_RECORDS });
    expect(byIds?.properties.hard).toMatchObject({ type: 'boolean' });
    expect(byIds?.additionalProperties).toBe(false);
    expect(body('/analytics/data').properties.eventId).toMatchObject({ minLength: 1 });
    const key = paths['/analytics/data']!.post!.parameters.find(
      (p) => p.name === 'Idempotency-Key',
    );
    expect(new RegExp(key!.schema.pattern as string).test('   ')).toBe(false);
    const api = testApi();
    const blankKey = await api.call('POST', '/analytics/data', {
      headers: { 'idempotency-key': '   ' },
      json: {},
    });
    expect(blankKey.status).toBe(400);
  });

  it('POST /admin/delete: soft deletes come back with deletedAt, hard ones vanish', async () => {
    const api = testApi();
    const since = { updatedSince: new Date(api.clock.ms).toISOString() };
    const remove = async (json: Record<string, unknown>) =>
      ((await api.call('POST', '/admin/delete', { json })).json as { ids: string[] }).ids;
    const soft = await remove({ entity: 'products', count: 3 });
    const hard = await remove({ entity: 'products', ids: ['prod-000001'], hard: true });
    const { items } = await pageThrough(api, '/inventory/products', since);
    const expected = soft.filter((id) => !hard.includes(id));
    expect(items.map((item) => item.id).sort()).toEqual(expected.sort());
    for (const item of items)
      expect((item as { deletedAt?: string }).deletedAt).toBe(item.updatedAt);
    const full = (await pageThrough(api, '/inventory/products')).items.map((item) => item.id);
    expect(full).toHaveLength(50 - soft.length - hard.length);
    expect(full.filter((id) => [...soft, ...hard].includes(id))).toEqual([]);
  });

  it('POST /admin/corrupt serves schema-invalid records', async () => {
    const api = testApi();
    const { ids } = (
      await api.call('POST', '/admin/corrupt', { json: { entity: 'customers', count: 2 } })
    ).json as {
      ids: string[];
    };
    const { items } = await pageThrough(api, '/crm/customers', {
      updatedSince: new Date(api.clock.ms).toISOString(),
    });
    expect(items.map((item) => item.id).sort()).toEqual([...ids].sort());
    for (const item of items) expect(CustomerSchema.safeParse(item).success).toBe(false);
  });
});
