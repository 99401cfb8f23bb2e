import { describe, expect, it, vi } from 'vitest';
import { RedriveRequestSchema, ResyncRequestSchema, listDlq, redrive, resync } from './operations';

describe('resync requests', () => {
  it('need exactly one of full or since', () => {
    expect(ResyncRequestSchema.safeParse({ source: 'crm', full: true }).success).toBe(true);
    expect(
      ResyncRequestSchema.safeParse({ source: 'all', since: '2026-01-01T00:00:00Z' }).success,
    ).toBe(true);
    expect(ResyncRequestSchema.safeParse({ source: 'crm' }).success).toBe(false);
    expect(
      ResyncRequestSchema.safeParse({ source: 'crm', full: true, since: '2026-01-01T00:00:00Z' })
        .success,
    ).toBe(false);
    expect(ResyncRequestSchema.safeParse({ source: 'erp', full: true }).success).toBe(false);
    expect(ResyncRequestSchema.safeParse({ source: 'crm', since: 'yesterday' }).success).toBe(
      false,
    );
  });

  it('invoke the pollers with their manual payloads', async () => {
    const invoke = vi.fn(async (key: string) => ({ invoked: key }));
    await expect(resync(invoke, { source: 'all', full: true })).resolves.toEqual({
      crm: { invoked: 'pollCrm' },
      inventory: { invoked: 'pollInventory' },
    });
    expect(invoke).toHaveBeenCalledWith('pollCrm', { mode: 'full' });
    expect(invoke).toHaveBeenCalledWith('pollInventory', { mode: 'full' });
    invoke.mockClear();
    await resync(invoke, { source: 'inventory', since: '2026-01-01T00:00:00Z' });
    expect(invoke.mock.calls).toEqual([['pollInventory', { since: '2026-01-01T00:00:00Z' }]]);
    invoke.mockClear();
    await resync(invoke, { source: 'crm', full: true, redeliver: true });
    expect(JSON.stringify(invoke.mock.calls)).toBe(
      '[["pollCrm",{"mode":"full","redeliver":true}]]',
    );
  });
});

describe('DLQ operations', () => {
  it('are flush commands', async () => {
    const invoke = vi.fn(async () => ({ status: 'ok' }));
    const eventId = 'a'.repeat(64);
    await redrive(invoke, { eventId });
    await redrive(invoke, {});
    await listDlq(invoke);
    expect(invoke.mock.calls).toEqual([
      ['flush', { action: 'redrive', eventId }],
      ['flush', { action: 'redrive' }],
      ['flush', { action: 'list-dlq' }],
    ]);
  });

  it('reject an eventId that is not 64 hex', () => {
    expect(RedriveRequestSchema.safeParse({ eventId: 'abc' }).success).toBe(false);
  });
});
