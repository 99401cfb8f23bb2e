import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { MockApi } from './app';
import { createMockApi } from './app';
import type { MockState } from './mock-state';
import { mockSettingsFromEnv } from './settings';

export interface MockApiServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  seed?: number;
  customers?: number;
  products?: number;
  driftPerMinute?: number;
  logger?: Logger;
}

export interface MockApiServer {
  url: string;
  close(): Promise<void>;
  /** The server's state, for tests that want to look inside. */
  state: MockState;
}

const textTypes =
  /^(text\/|application\/([\w.+-]+\+)?(json|xml)|application\/x-www-form-urlencoded)/i;

/** Node request → the Function URL event (payload 2.0) Lambda would deliver. */
export function toFunctionUrlEvent(request: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    // Function URLs join repeated parameters with commas.
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  const isText = textTypes.test(headers['content-type'] ?? '');
  const method = request.method ?? 'GET';
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    body: body.length > 0 ? (isText ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !isText,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: crypto.randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function serve(
  handle: MockApi,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const result = await handle(toFunctionUrlEvent(request, await readBody(request)));
  const body = result.body ?? '';
  response.writeHead(result.statusCode ?? 200, {
    ...(result.headers as Record<string, string> | undefined),
    'content-length': Buffer.byteLength(body, result.isBase64Encoded ? 'base64' : 'utf8'),
  });
  response.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

/**
 * Serves the Lambda handler over plain node:http on loopback, turning each request into the same
 * Function URL event Lambda would send, so local runs exercise exactly the deployed code path.
 */
export async function startMockApiServer(
  options: MockApiServerOptions = {},
): Promise<MockApiServer> {
  const defaults = mockSettingsFromEnv();
  const settings = {
    faults: defaults.faults,
    dataset: {
      seed: options.seed ?? defaults.dataset.seed,
      customers: options.customers ?? defaults.dataset.customers,
      products: options.products ?? defaults.dataset.products,
      driftPerMinute: options.driftPerMinute ?? defaults.dataset.driftPerMinute,
    },
  };
  const api = createMockApi({ settings, logger: options.logger });
  const server = createServer((request, response) => {
    serve(api.handle, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'Internal error' } }));
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    state: api.state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
