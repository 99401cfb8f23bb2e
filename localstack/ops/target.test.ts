import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Dashboard } from '../dashboard/server';
import { startDashboard } from '../dashboard/server';
import { MetricSeries } from '../runtime/emf';
import { commands, resolveInvoker, writeRuntimeInfo } from './commands';

const cfnMock = mockClient(CloudFormationClient);
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  cfnMock.reset();
  for (const close of closers.splice(0)) await close();
});

const runtimeFile = (): string => join(mkdtempSync(join(tmpdir(), 'runtime-')), 'runtime.json');
const failure = (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error,
  );

async function dashboardWith(invoke = vi.fn(async (): Promise<unknown> => ({ status: 'ok' }))) {
  const dashboard: Dashboard = await startDashboard({
    invoke,
    metrics: new MetricSeries(),
    progress: async () => {
      throw new Error('not needed');
    },
    progressIntervalMs: 60_000,
  });
  closers.push(() => dashboard.close());
  return { dashboard, invoke };
}

describe('operator CLI target', () => {
  it('without runtime.json: one line saying to run npm start or pass --target aws, no AWS call', async () => {
    const error = await failure(resolveInvoker({}, runtimeFile()));
    expect(error.message).toMatch(/run `npm start`, or pass --target aws/);
    expect(error.message).not.toContain('\n');
    expect(cfnMock.calls()).toHaveLength(0);
  });

  it('with a stale runtime.json (process gone, or dashboard not answering): the same kind of line', async () => {
    const path = runtimeFile();
    const exited = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeRuntimeInfo(
      { dashboardUrl: 'http://127.0.0.1:9/', token: 't', pid: exited, startedAt: 'x' },
      path,
    );
    expect((await failure(resolveInvoker({}, path))).message).toMatch(
      /is stale .* run `npm start`/,
    );
    await writeRuntimeInfo(
      { dashboardUrl: 'http://127.0.0.1:9/', token: 't', pid: process.pid, startedAt: 'x' },
      path,
    );
    expect((await failure(resolveInvoker({}, path))).message).toMatch(/does not answer/);
    expect(cfnMock.calls()).toHaveLength(0);
  });

  it('with a damaged runtime.json: what to do, not "Unexpected end of JSON input"', async () => {
    const path = runtimeFile();
    writeFileSync(path, '{"dashboardUrl":');
    const error = await failure(resolveInvoker({}, path));
    expect(error.message).toMatch(
      /is damaged .*delete it and run `npm start`, or pass --target aws/,
    );
    expect(error.message).not.toMatch(/Unexpected end/);
  });

  it('reaches the running dashboard with the token from runtime.json (mode 600)', async () => {
    const { dashboard, invoke } = await dashboardWith();
    const path = runtimeFile();
    await writeRuntimeInfo(
      { dashboardUrl: dashboard.url, token: dashboard.token, pid: process.pid, startedAt: 'x' },
      path,
    );
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const resolved = await resolveInvoker({}, path);
    expect(resolved.target).toBe('local');
    await expect(resolved.invoke('flush', { action: 'list-dlq' })).resolves.toEqual({
      status: 'ok',
    });
    expect(invoke).toHaveBeenCalledWith('flush', { action: 'list-dlq' });
  });

  it('with --url, takes the token the dashboard gives its page', async () => {
    const { dashboard } = await dashboardWith();
    const resolved = await resolveInvoker({ url: dashboard.url }, runtimeFile());
    await expect(resolved.invoke('flush', {})).resolves.toEqual({ status: 'ok' });
  });

  it('--url at something that is not a dashboard is one line', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(404, { 'content-type': 'text/html' });
      response.end('<html>not here</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const error = await failure(resolveInvoker({ url }, runtimeFile()));
    expect(error.message).toBe(
      `${url} is not an ecom-sync dashboard (GET /api/config answered HTTP 404); use the "dashboard at" URL npm start prints`,
    );
  });
});

describe('resync', () => {
  it('refuses a --since in the future instead of reporting an empty run complete', async () => {
    const since = new Date(Date.now() + 86_400_000).toISOString();
    const error = await failure(commands.resync(['--source', 'crm', '--since', since]));
    expect(error.message).toMatch(/✖ is in the future.* → at since/);
  });
});
