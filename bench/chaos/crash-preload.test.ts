import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FunctionHost, InvocationError } from '../../localstack/runtime/function-host';
import { crashPlanEnv, readCrashes } from './crash';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** Answers every request 200 `{}` and counts them: the side effect that must land before a crash. */
let server: Server;
let endpoint: string;
let requests: string[];
let slotDir: string;
const hosts: FunctionHost[] = [];

beforeEach(async () => {
  requests = [];
  server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  slotDir = mkdtempSync(join(tmpdir(), 'preload-crash-'));
});

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.close()));
  await new Promise((resolve) => server.close(resolve));
  rmSync(slotDir, { recursive: true, force: true });
});

function hostWith(options: { handler: string; operation: string }): FunctionHost {
  const host = new FunctionHost({
    functionName: 'crash-probe',
    handlerModule: here(`./test-fixtures/${options.handler}`),
    preloadModules: [here('./crash-preload.ts')],
    env: {
      FIXTURE_ENDPOINT: endpoint,
      ...crashPlanEnv({
        seed: 1,
        maxCrashes: 1,
        probabilities: { [options.operation]: 1 },
        slotDir,
      }),
    },
    timeoutMs: 20_000,
    memoryMb: 256,
    region: 'us-east-1',
  });
  hosts.push(host);
  return host;
}

describe('the crash preload in a FunctionHost execution environment', () => {
  it('after an SDK call: the environment dies after the PutItem landed, then a fresh one serves', async () => {
    const host = hostWith({
      handler: 'sdk-call-handler.ts',
      operation: 'DynamoDB.PutItem',
    });
    const crashed = await host.invoke({}).catch((error: unknown) => error);
    expect(crashed).toBeInstanceOf(InvocationError);
    expect((crashed as InvocationError).payload.errorType).toBe('Runtime.ExitError');
    expect((crashed as InvocationError).message).toMatch(/exited with code 137/);
    expect(requests).toEqual(['POST /']);
    expect(readCrashes(slotDir)).toEqual(['DynamoDB.PutItem']);
    // The budget of one crash is spent: the replacement environment completes.
    await expect(host.invoke({})).resolves.toBe('put');
    expect(requests).toHaveLength(2);
  });

  it('after an Analytics POST: the environment dies after Analytics answered 2xx to the POST', async () => {
    const host = hostWith({
      handler: 'analytics-post-handler.ts',
      operation: 'Analytics.POST',
    });
    const crashed = await host.invoke({}).catch((error: unknown) => error);
    expect((crashed as InvocationError).payload.errorType).toBe('Runtime.ExitError');
    expect(requests).toEqual(['POST /analytics/data']);
    expect(readCrashes(slotDir)).toEqual(['Analytics.POST']);
    await expect(host.invoke({})).resolves.toBe(200);
  });
});
