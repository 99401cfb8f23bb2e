import { createServer } from 'node:net';

/**
 * Asks the kernel for a free loopback port by listening on port 0. The port is released before
 * the server binds it, so a race with another process is possible but rare; a server that then
 * fails to bind fails its health check with its log tail.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}
