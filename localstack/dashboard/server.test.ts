import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PipelineProgress } from '../start-pipeline';
import { MetricSeries } from '../runtime/emf';
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
    deletes: 0,
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

async function start(
  invoke = vi.fn(async (): Promise<unknown> => ({ status: 'ok' })),
  extra: Partial<Parameters<typeof startDashboard>[0]> = {},
) {
  dashboard = await startDashboard({
    invoke,
    progress: async () => progressValue,
    metrics: new MetricSeries(),
    expectedRecords: 30,
    progressIntervalMs: 60_000,
    ...extra,
  });
  return { dashboard, invoke };
}

const call = async (base: string, path: string, init?: RequestInit) => {
  const response = await fetch(new URL(path, base), init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: {
    'content-type': 'application/json',
    'x-ecom-sync-token': dashboard?.token ?? '',
    ...headers,
  },
  body: JSON.stringify(body),
});
const withToken = (): RequestInit => ({ headers: { 'x-ecom-sync-token': dashboard?.token ?? '' } });

/** A request with the Host and target we choose (fetch sets Host itself and normalises paths). */
function raw(
  base: string,
  options: { method?: string; path: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
        setHost: false,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

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

  it("serves the runtime's EMF series as /api/metrics and error lines as /api/errors", async () => {
    const metrics = new MetricSeries();
    const { dashboard } = await start(undefined, { metrics });
    metrics.observe(
      JSON.stringify({
        _aws: {
          Timestamp: 0,
          CloudWatchMetrics: [{ Namespace: 'EcomSync', Metrics: [{ Name: 'RecordsDelivered' }] }],
        },
        RecordsDelivered: 42,
      }),
    );
    dashboard.observe(
      { functionName: 'flush', stream: 'stdout', text: '{"level":"ERROR","message":"to a@b.io"}' },
      false,
    );
    const served = await call(dashboard.url, '/api/metrics');
    expect(served.body.totals).toEqual({ RecordsDelivered: { sum: 42, samples: 1 } });
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
      (
        await call(
          dashboard.url,
          '/api/resync',
          post({ source: 'crm', full: true, redeliver: true }),
        )
      ).body,
    ).toEqual({
      ok: true,
      result: { crm: { status: 'ok' } },
    });
    await call(dashboard.url, '/api/redrive', post({}));
    await call(dashboard.url, '/api/dlq', withToken());
    await call(
      dashboard.url,
      '/api/invoke',
      post({ function: 'flush', payload: { action: 'flush' } }),
    );
    expect(invoke.mock.calls).toEqual([
      ['pollCrm', { mode: 'full', redeliver: true }],
      ['flush', { action: 'redrive' }],
      ['flush', { action: 'list-dlq' }],
      ['flush', { action: 'flush' }],
    ]);
    const operations = await call(dashboard.url, '/api/operations');
    expect((operations.body.operations as { operation: string }[]).map((o) => o.operation)).toEqual(
      ['invoke flush', 'list-dlq', 'redrive', 'resync'],
    );
  });

  it("runs a replay through the runtime's replay, once its request parses", async () => {
    const { dashboard, invoke } = await start();
    const replay = vi.fn(async () => ({ records: 3 }));
    dashboard.serve(invoke, replay);
    const request = { topic: 'customer_data', from: '2026-11-01T00:00:00Z', partition: 1 };
    expect(await call(dashboard.url, '/api/replay', post(request))).toEqual({
      status: 200,
      body: { ok: true, result: { records: 3 } },
    });
    expect(replay).toHaveBeenCalledWith(request);
    expect((await call(dashboard.url, '/api/replay', post({ topic: 't', from: 'x' }))).status).toBe(
      400,
    );
    expect(replay).toHaveBeenCalledOnce();
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
    expect(
      (
        await call(dashboard.url, '/api/redrive', {
          ...post(undefined),
          body: '{',
        })
      ).status,
    ).toBe(400);
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

  it('refuses a payload nested past the runtime bound with a 400; /api/operations keeps answering', async () => {
    const { dashboard, invoke } = await start();
    const deep = `${'{"a":'.repeat(20_000)}{}${'}'.repeat(20_000)}`;
    const answer = await call(dashboard.url, '/api/invoke', {
      ...post(undefined),
      body: `{"function":"flush","payload":${deep}}`,
    });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('nests deeper than 64 levels');
    expect(invoke).not.toHaveBeenCalled();
    expect((await call(dashboard.url, '/api/operations')).status).toBe(200);
  });

  it('answers 503 "starting" to operations until the runtime is served', async () => {
    dashboard = await startDashboard({
      progress: async () => progressValue,
      metrics: new MetricSeries(),
      progressIntervalMs: 60_000,
    });
    const early = await call(dashboard.url, '/api/invoke', post({ function: 'flush' }));
    expect(early.status).toBe(503);
    expect(JSON.stringify(early.body)).toContain('starting');
    const invoke = vi.fn(async (): Promise<unknown> => ({ status: 'ok' }));
    dashboard.serve(invoke);
    expect((await call(dashboard.url, '/api/invoke', post({ function: 'flush' }))).status).toBe(
      200,
    );
  });
});

describe('dashboard server refuses what another site, or a slow client, sends', () => {
  it('operations need the run token, a JSON content type, and our own Origin', async () => {
    const { dashboard, invoke } = await start();
    const body = { function: 'merge-consumer', payload: { records: {} } };
    const forgedOrigin = await call(
      dashboard.url,
      '/api/invoke',
      post(body, { origin: 'https://evil.example' }),
    );
    expect(forgedOrigin.status).toBe(403);
    const textPlain = await call(
      dashboard.url,
      '/api/invoke',
      post(body, { 'content-type': 'text/plain' }),
    );
    expect(textPlain.status).toBe(415);
    const noToken = await call(
      dashboard.url,
      '/api/invoke',
      post(body, { 'x-ecom-sync-token': '' }),
    );
    expect(noToken.status).toBe(401);
    const wrongToken = await call(
      dashboard.url,
      '/api/resync',
      post({ source: 'crm', full: true }, { 'x-ecom-sync-token': 'x'.repeat(43) }),
    );
    expect(wrongToken.status).toBe(401);
    expect((await call(dashboard.url, '/api/dlq')).status).toBe(401);
    expect(invoke).not.toHaveBeenCalled();
    const ours = await call(
      dashboard.url,
      '/api/invoke',
      post(body, { origin: new URL(dashboard.url).origin }),
    );
    expect(ours.status).toBe(200);
    // The page's own way to the token: /api/config on this origin.
    expect((await call(dashboard.url, '/api/config')).body.token).toBe(dashboard.token);
  });

  it('answers 403 to another Host name (DNS rebinding), also for the page and the token', async () => {
    const { dashboard } = await start();
    const { port } = new URL(dashboard.url);
    for (const path of ['/', '/api/config', '/api/errors']) {
      const rebound = await raw(dashboard.url, { path, headers: { host: `evil.example:${port}` } });
      expect(rebound.status).toBe(403);
      expect(rebound.body).not.toContain(dashboard.token);
    }
    // No Host at all: Node refuses an HTTP/1.1 request without one (requireHostHeader).
    expect((await raw(dashboard.url, { path: '/api/config', headers: {} })).status).toBe(400);
    const local = await raw(dashboard.url, {
      path: '/api/config',
      headers: { host: `localhost:${port}` },
    });
    expect(local.status).toBe(200);
  });

  it('answers 400 to a request target that is not a path', async () => {
    const { dashboard } = await start();
    const { host } = new URL(dashboard.url);
    for (const path of ['//%zz', '*', '/%zz', 'http://[bad']) {
      const answer = await raw(dashboard.url, { path, headers: { host } });
      expect(answer.status, path).toBe(400);
    }
  });

  it('drops a request whose body does not arrive in time', async () => {
    const { dashboard } = await start(undefined, { requestTimeoutMs: 500 });
    const { hostname, port, host } = new URL(dashboard.url);
    const socket = connect(Number(port), hostname);
    const startedAt = Date.now();
    const closed = new Promise<string>((resolve) => {
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('close', () => resolve(answer));
    });
    socket.write(
      `POST /api/invoke HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nX-Ecom-Sync-Token: ${dashboard.token}\r\nContent-Length: 100\r\n\r\n{`,
    );
    const answer = await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });
});
