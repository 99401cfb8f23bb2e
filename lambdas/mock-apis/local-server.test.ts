import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, startMockApiServer } from './local-server';
import type { MockApiServer } from './local-server';
import { ADD_CUSTOMER_ACTION } from './soap';
import { addCustomerRequestXml, silentLogger } from './test-helpers';

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

/** Sends raw bytes and resolves with whatever the server answered before it closed the socket. */
function rawExchange(
  url: string,
  request: string,
  options: { keepSendingMs?: number; waitMs?: number } = {},
): Promise<{ response: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(url);
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    const done = () => resolve({ response, closedAfterMs: performance.now() - started });
    socket.on('close', done);
    setTimeout(() => {
      socket.destroy();
    }, options.waitMs ?? 5_000).unref();
  });
}

describe('startMockApiServer: hostile requests', () => {
  it('answers 413 to a declared body over the cap before any of it is sent', async () => {
    server = await startMockApiServer({ logger: silentLogger() });
    const started = performance.now();
    const { response } = await rawExchange(
      server.url,
      `POST /admin/reset HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${450 * 1024 * 1024}\r\n\r\n{`,
    );
    expect(response).toMatch(/^HTTP\/1\.1 413 /);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('stops reading a chunked body once it crosses the cap and answers 413', async () => {
    server = await startMockApiServer({ logger: silentLogger() });
    const rssBefore = process.memoryUsage().rss;
    const { hostname, port } = new URL(server.url);
    let sent = 0;
    const response = await new Promise<string>((resolve) => {
      let answer = '';
      const socket = connect(Number(port), hostname);
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(answer));
      socket.write(
        'POST /admin/reset HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      const chunk = Buffer.concat([
        Buffer.from('10000\r\n'),
        Buffer.alloc(0x10000, 0x20),
        Buffer.from('\r\n'),
      ]);
      const pump = (): void => {
        // 64 MB at most, so the test ends (with the wrong answer) even when nothing stops it.
        while (sent < 64 * 1024 * 1024 && answer === '' && !socket.destroyed) {
          sent += 0x10000;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
        if (answer === '' && !socket.destroyed) socket.end('0\r\n\r\n');
      };
      pump();
    });
    expect(response).toMatch(/^HTTP\/1\.1 413 /);
    expect(sent).toBeLessThan(MAX_BODY_BYTES + 8 * 1024 * 1024);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('accepts a body just under the cap (flush posts up to 4 MB)', async () => {
    server = await startMockApiServer({ logger: silentLogger() });
    const response = await fetch(new URL('/admin/reset', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{}${' '.repeat(MAX_BODY_BYTES - 2)}`,
    });
    expect(response.status).toBe(200);
  });

  it('drops a slow body after the request timeout instead of holding the socket', async () => {
    server = await startMockApiServer({ logger: silentLogger(), requestTimeoutMs: 1_000 });
    const { response, closedAfterMs } = await rawExchange(
      server.url,
      'POST /admin/reset HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
      { waitMs: 8_000 },
    );
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeLessThan(4_000);
  });

  it.each(['//%zz', '*', 'http://[::1/crm/customers'])(
    'answers 400 to the malformed request target %s',
    async (target) => {
      server = await startMockApiServer({ logger: silentLogger() });
      const { response } = await rawExchange(
        server.url,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      expect(response).toMatch(/^HTTP\/1\.1 400 /);
    },
  );
});
