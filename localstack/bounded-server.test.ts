import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createBoundedServer } from './bounded-server';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function listen(maxConnections: number): Promise<number> {
  server = createBoundedServer((_request, response) => response.end('ok'), { maxConnections });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A client that sends half a request and then nothing: a slow body holding its connection. */
function holdConnection(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{');
      resolve({ socket, closed: new Promise((done) => socket.once('close', () => done())) });
    });
    socket.on('error', () => undefined);
    // Read what the server sends, or the socket never reports the server closing it.
    socket.resume();
  });
}

describe('createBoundedServer', () => {
  it('at the connection cap closes the oldest connection, so held connections never keep a request out', async () => {
    const port = await listen(4);
    const held = [];
    for (let index = 0; index < 10; index += 1) held.push(await holdConnection(port));
    const startedAt = Date.now();
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(await response.text()).toBe('ok');
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    // The first seven were closed to make room (ten held plus the fetch, four at a time).
    await Promise.all(held.slice(0, 7).map(({ closed }) => closed));
    for (const { socket } of held) socket.destroy();
  });
});
