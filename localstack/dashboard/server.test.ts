import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PipelineProgress } from '../runtime/progress';
import { InvocationError } from '../runtime/function-host';
import type { Dashboard } from './server';
import { startDashboard } from './server';

const progressValue: PipelineProgress = {
  stats: {
    uniqueRecords: 10,
    uniqueVersions: 10,
    duplicateRecords: 0,
    payloads: 1,
    duplicatePayloads: 0,
    recordsReceived: 10,
  },
  consumerLag: 3,
  stagedObjects: 1,
  dlqMessages: 0,
};

let dashboard: Dashboard | undefined;
afterEach(async () => {
  await dashboard?.close();
  dashboard = undefined;
});

async function start(invoke = vi.fn(async (): Promise<unknown> => ({ status: 'ok' }))) {
  dashboard = await startDashboard({
    invoke,
    progress: async () => progressValue,
    expectedRecords: 30,
    progressIntervalMs: 60_000,
  });
  return { dashboard, invoke };
}

const call = async (base: string, path: string, init?: RequestInit) => {
  const response = await fetch(new URL(path, base), init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const post = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('dashboard server (in-process, fake runtime)', () => {
  it('serves the page, Chart.js from node_modules and the panel config', async () => {
    const { dashboard } = await start();
    const page = await fetch(dashboard.url);
    expect(await page.text()).toContain('/vendor/chart.umd.min.js');
    const chart = await fetch(new URL('/vendor/chart.umd.min.js', dashboard.url));
    expect(chart.status).toBe(200);
    expect((await chart.text()).length).toBeGreaterThan(100_000);
    const config = await call(dashboard.url, '/api/config');
    expect((config.body.panels as { title: string }[]).map((panel) => panel.title)).toContain(
      'Delivered',
    );
  });

  it('turns observed EMF lines into /api/metrics and error lines into /api/errors', async () => {
    const { dashboard } = await start();
    dashboard.observe(
      {
        functionName: 'flush',
        stream: 'stdout',
        text: JSON.stringify({
          _aws: {
            Timestamp: 0,
            CloudWatchMetrics: [{ Namespace: 'EcomSync', Metrics: [{ Name: 'RecordsDelivered' }] }],
          },
          RecordsDelivered: 42,
        }),
      },
      true,
    );
    dashboard.observe(
      { functionName: 'flush', stream: 'stdout', text: '{"level":"ERROR","message":"to a@b.io"}' },
      false,
    );
    const metrics = await call(dashboard.url, '/api/metrics');
    expect(metrics.body.totals).toEqual({ RecordsDelivered: { sum: 42, samples: 1 } });
    const errors = await call(dashboard.url, '/api/errors');
    expect(JSON.stringify(errors.body)).toContain('[redacted-email]');
    expect(JSON.stringify(errors.body)).not.toContain('a@b.io');
    await dashboard.progress.sample();
    const progress = await call(dashboard.url, '/api/progress');
    expect(progress.body).toMatchObject({ latest: { consumerLag: 3 }, expectedRecords: 30 });
  });

  it('runs resync, redrive, list-dlq and invoke through the runtime', async () => {
    const { dashboard, invoke } = await start();
    expect(
      (await call(dashboard.url, '/api/resync', post({ source: 'crm', full: true }))).body,
    ).toEqual({
      ok: true,
      result: { crm: { status: 'ok' } },
    });
    await call(dashboard.url, '/api/redrive', post({}));
    await call(dashboard.url, '/api/dlq');
    await call(
      dashboard.url,
      '/api/invoke',
      post({ function: 'flush', payload: { action: 'flush' } }),
    );
    expect(invoke.mock.calls).toEqual([
      ['pollCrm', { mode: 'full' }],
      ['flush', { action: 'redrive' }],
      ['flush', { action: 'list-dlq' }],
      ['flush', { action: 'flush' }],
    ]);
    const operations = await call(dashboard.url, '/api/operations');
    expect((operations.body.operations as { operation: string }[]).map((o) => o.operation)).toEqual(
      ['invoke flush', 'list-dlq', 'redrive', 'resync'],
    );
  });

  it('answers 400 for a bad request without invoking anything, 502 for a failed function', async () => {
    const invoke = vi.fn(async (): Promise<unknown> => {
      throw new InvocationError('poll-crm', {
        errorType: 'InvalidPollRequestError',
        errorMessage: 'Invalid poll request',
        stackTrace: [],
      });
    });
    const { dashboard } = await start(invoke);
    const bad = await call(dashboard.url, '/api/resync', post({ source: 'crm' }));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('exactly one of');
    expect((await call(dashboard.url, '/api/redrive', { method: 'POST', body: '{' })).status).toBe(
      400,
    );
    expect(invoke).not.toHaveBeenCalled();
    const failed = await call(
      dashboard.url,
      '/api/invoke',
      post({ function: 'poll-crm', payload: {} }),
    );
    expect(failed.status).toBe(502);
    expect(failed.body).toEqual({
      ok: false,
      error: { errorType: 'InvalidPollRequestError', errorMessage: 'Invalid poll request' },
    });
    expect((await call(dashboard.url, '/api/nothing')).status).toBe(404);
  });
});
