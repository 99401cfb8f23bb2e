import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricSeries } from './emf';
import type { FunctionDefinition, OutputLine } from './function-host';
import { FunctionHost, InvocationError, MAX_EVENT_DEPTH, nestingDepth } from './function-host';
import { lambdaNodeMajor } from '../../lambdas/shared/pipeline';
import { parseNodeMajor } from '../stack/prerequisites';
import { assertLambdaNodeRuntime } from './local-runtime';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./test-fixtures/${name}`, import.meta.url));

const hosts: FunctionHost[] = [];
function host(overrides: Partial<FunctionDefinition> = {}): FunctionHost {
  const created = new FunctionHost({
    functionName: 'probe',
    handlerModule: fixture('probe-handler.ts'),
    env: { PROBE_SETTING: 'from-function-env' },
    timeoutMs: 10_000,
    memoryMb: 256,
    region: 'eu-west-1',
    ...overrides,
  });
  hosts.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

describe('FunctionHost', () => {
  it('runs the handler in a worker with its own env and a Lambda-like context', async () => {
    process.env.PROBE_PARENT_ONLY = 'parent';
    const result = (await host().invoke({ action: 'echo' })) as {
      env: Record<string, string | null>;
      context: Record<string, unknown>;
    };
    expect(result.env).toEqual({ PROBE_SETTING: 'from-function-env', HOME_LEAKED: null });
    expect(result.context.functionName).toBe('probe');
    expect(result.context.invokedFunctionArn).toBe(
      'arn:aws:lambda:eu-west-1:000000000000:function:probe',
    );
    expect(result.context.memoryLimitInMB).toBe('256');
    expect(result.context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.context.callbackWaitsForEmptyEventLoop).toBe(true);
    expect(result.context.remainingMs).toBeGreaterThan(0);
    expect(result.context.remainingMs).toBeLessThanOrEqual(10_000);
  });

  it('runs handlers on the Node.js major of the Lambda runtime the functions deploy to', async () => {
    const result = (await host().invoke({ action: 'echo' })) as { nodeVersion: string };
    expect(parseNodeMajor(result.nodeVersion)).toBe(lambdaNodeMajor);
    expect(() => assertLambdaNodeRuntime(result.nodeVersion)).not.toThrow();
    expect(() => assertLambdaNodeRuntime('v20.19.0')).toThrow(/Node\.js 24.*run it through npm/);
  });

  it('imports preload modules in the worker before the handler module', async () => {
    const withPreload = (await host({ preloadModules: [fixture('probe-preload.ts')] }).invoke({
      action: 'echo',
    })) as { preloadSeenAtImport: string | null };
    expect(withPreload.preloadSeenAtImport).toBe('preloaded in from-function-env');
    const without = (await host().invoke({ action: 'echo' })) as {
      preloadSeenAtImport: string | null;
    };
    expect(without.preloadSeenAtImport).toBeNull();
  });

  it('imports the handler once and reuses the warm environment', async () => {
    const probe = host();
    const first = (await probe.invoke({ action: 'echo' })) as {
      loadedAt: number;
      invocations: number;
      context: { awsRequestId: string };
    };
    const second = (await probe.invoke({ action: 'echo' })) as {
      loadedAt: number;
      invocations: number;
      context: { awsRequestId: string };
    };
    expect(second.loadedAt).toBe(first.loadedAt);
    expect(second.invocations).toBe(first.invocations + 1);
    expect(second.context.awsRequestId).not.toBe(first.context.awsRequestId);
  });

  it('returns handler errors as invocation errors and keeps serving', async () => {
    const probe = host();
    const failure = await probe
      .invoke({ action: 'fail', message: 'bad batch' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InvocationError);
    expect((failure as InvocationError).payload).toMatchObject({
      errorType: 'TypeError',
      errorMessage: 'bad batch',
    });
    await expect(probe.invoke({ action: 'sleep', ms: 1 })).resolves.toEqual({ slept: 1 });
  });

  it('rejects a timed-out invocation and recycles the environment (cold start again)', async () => {
    const probe = host({ timeoutMs: 300 });
    const before = (await probe.invoke({ action: 'echo' })) as { loadedAt: number };
    const failure = await probe
      .invoke({ action: 'sleep', ms: 5_000 })
      .catch((error: unknown) => error);
    expect((failure as InvocationError).payload.errorType).toBe('Sandbox.Timedout');
    const after = (await probe.invoke({ action: 'echo' })) as {
      loadedAt: number;
      invocations: number;
    };
    expect(after.invocations).toBe(1);
    expect(after.loadedAt).toBeGreaterThan(before.loadedAt);
  });

  it('an event the sandbox never received leaves no timer behind to kill a later invocation', async () => {
    const probe = host({ timeoutMs: 600 });
    await probe.invoke({ action: 'echo' });
    // A function is not cloneable: postMessage throws before the worker sees anything.
    const refused = await probe
      .invoke({ action: 'echo', callback: () => undefined })
      .catch((error: unknown) => error);
    expect((refused as InvocationError).payload.errorType).toBe('InvalidRequestContentException');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Runs across the moment the refused invocation's deadline would have fired.
    await expect(probe.invoke({ action: 'sleep', ms: 500 })).resolves.toEqual({ slept: 500 });
    const after = (await probe.invoke({ action: 'echo' })) as { invocations: number };
    expect(after.invocations).toBe(3);
  });

  it('refuses events nested too deep or over the 6 MB payload limit before any sandbox runs', async () => {
    const probe = host();
    let deep: unknown = {};
    for (let level = 0; level < 20_000; level += 1) deep = { a: deep };
    const tooDeep = await probe.invoke(deep).catch((error: unknown) => error);
    expect((tooDeep as InvocationError).payload).toMatchObject({
      errorType: 'InvalidRequestContentException',
      errorMessage: `the event nests deeper than ${MAX_EVENT_DEPTH} levels`,
    });
    const tooLarge = await probe
      .invoke({ action: 'echo', pad: 'x'.repeat(6 * 1024 * 1024) })
      .catch((error: unknown) => error);
    expect((tooLarge as InvocationError).payload.errorType).toBe('RequestEntityTooLargeException');
    expect(probe.invocations).toBe(0);
    expect(nestingDepth({ records: { 'topic-0': [{ headers: [{ h: [1] }] }] } })).toBe(7);
  });

  it('fails invocations when the handler module cannot initialise', async () => {
    const broken = host({ handlerModule: fixture('broken-handler.ts') });
    const failure = await broken.invoke({}).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InvocationError);
    expect((failure as Error).message).toContain('Invalid configuration');
  });

  it('never runs more environments than its concurrency limit', async () => {
    const probe = host({ maxConcurrency: 1 });
    const results = (await Promise.all([
      probe.invoke({ action: 'echo' }),
      probe.invoke({ action: 'echo' }),
      probe.invoke({ action: 'echo' }),
    ])) as Array<{ loadedAt: number; invocations: number }>;
    expect(new Set(results.map((r) => r.loadedAt)).size).toBe(1);
    expect(results.map((r) => r.invocations).sort()).toEqual([1, 2, 3]);
  });

  it('captures stdout lines and counts EMF metrics per name', async () => {
    const probe = host();
    const lines: OutputLine[] = [];
    const counters = new MetricSeries();
    probe.onOutput((line) => {
      lines.push(line);
      counters.observe(line.text);
    });
    await probe.invoke({ action: 'emf' });
    await probe.invoke({ action: 'emf' });
    await expect.poll(() => counters.get('RecordsStaged').sum).toBe(14);
    expect(counters.get('RecordsStaged').samples).toBe(2);
    expect(lines.some((line) => line.text.includes('not a metric'))).toBe(true);
    expect(lines.every((line) => line.functionName === 'probe')).toBe(true);
  });
});
