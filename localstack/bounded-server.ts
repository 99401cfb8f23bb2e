import type { RequestListener, Server } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';

export interface BoundedServerOptions {
  /** A whole request (headers and body) must arrive within this; default 30 s. */
  requestTimeoutMs?: number;
  /** Open connections at most; default 256. */
  maxConnections?: number;
}

/**
 * An HTTP server for the local stack that slow or idle clients cannot take over. Node's defaults
 * hold a request for 300 s and any number of connections, so slow bodies could pin every file
 * descriptor of the `npm start` process (and with it the pollers' sockets). Timeouts bound how long
 * one connection lasts; at the connection cap the OLDEST connection is closed to make room, rather
 * than the new one refused (`server.maxConnections`), so a flood of held connections cannot keep
 * the next real request out: on loopback a real request finishes in milliseconds, long before it
 * becomes the oldest.
 */
export function createBoundedServer(
  onRequest: RequestListener,
  { requestTimeoutMs: requestTimeout = 30_000, maxConnections = 256 }: BoundedServerOptions = {},
): Server {
  const server = createServer(
    {
      requestTimeout,
      headersTimeout: Math.min(10_000, requestTimeout),
      connectionsCheckingInterval: Math.min(1_000, requestTimeout),
    },
    onRequest,
  );
  // Insertion order: the first entry is the oldest open connection.
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    const [oldest] = open;
    if (oldest && open.size >= maxConnections) {
      open.delete(oldest);
      oldest.destroy();
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return server;
}
