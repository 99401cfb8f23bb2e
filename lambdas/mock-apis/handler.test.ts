import { describe, expect, it, vi } from 'vitest';
import { v2Event } from './test-helpers';

describe('handler (Function URL entry point)', () => {
  it('builds its state from MOCK_* env at cold start and answers v2 events', async () => {
    vi.stubEnv('MOCK_CUSTOMERS', '3');
    vi.stubEnv('MOCK_SEED', '5');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    const { handler } = await import('./handler');
    const result = await handler(v2Event('GET', '/crm/customers', { limit: '10' }, {}, undefined));
    expect(result.statusCode).toBe(200);
    const page = JSON.parse(result.body ?? '') as {
      items: { id: string }[];
      nextCursor: string | null;
    };
    expect(page.items.map((item) => item.id)).toEqual([
      'cust-000001',
      'cust-000002',
      'cust-000003',
    ]);
    expect(page.nextCursor).toBeNull();
    vi.unstubAllEnvs();
  });
});
