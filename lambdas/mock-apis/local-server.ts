import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { BoundedServerOptions } from '../../localstack/bounded-server';
import { createBoundedServer } from '../../localstack/bounded-server';
import type { DatasetOptions } from './dataset';
import type { MockApi } from './app';
import { createMockApi } from './app';
import { errorResponse } from './http-types';
import { mockSettingsFromEnv } from './settings';

/** Unset dataset options come from MOCK_* env or the defaults (settings.ts); port 0 picks one. */
export interface MockApiServerOptions extends Partial<DatasetOptions>, BoundedServerOptions {
  port?: number;
  logger?: Logger;
}

export type MockApiServer = Awaited<ReturnType<typeof startMockApiServer>>;

const textTypes =
  /^(text\/|application\/([\w.+-]+\+)?(json|xml)|application\/x-www-form-urlencoded)/i;

/**
 * The largest body served: a Function URL (BUFFERED) takes at most 6 MB
 * (https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html), and flush posts up to 4 MB.
 */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

/**
 * The request target as a URL, or undefined when it is none (`//%zz`, `*`, a broken absolute
 * form, a broken percent-escape). An origin-form target is a path, never a scheme-relative URL with a host in it.
 */
function parseTarget(target: string): URL | undefined {
  try {
    const url = target.startsWith('/') ? new URL(`http://localhost${target}`) : new URL(target);
    decodeURIComponent(url.pathname); // throws URIError on a broken percent-escape such as %zz
    return url;
  } catch {
    return undefined;
  }
}

/** Node request → the Function URL event (payload 2.0) Lambda would deliver. */
export function toFunctionUrlEvent(
  request: IncomingMessage,
  url: URL,
  body: Buffer,
): APIGatewayProxyEventV2 {
  // Function URLs join repeated headers and query parameters with commas (no space).
  const headers: Record<string, string> = {};
  for (const [name, values = []] of Object.entries(request.headersDistinct))
    headers[name] = values.join(',');
  const query: Record<string, string> = {};
  for (const name of url.searchParams.keys()) query[name] = url.searchParams.getAll(name).join(',');
  const isBase64Encoded = body.length > 0 && !textTypes.test(headers['content-type'] ?? '');
  const now = new Date();
  // `time` as AWS writes it (12/Mar/2020:19:03:58 +0000) from "Thu, 12 Mar 2020 19:03:58 GMT".
  const time = now.toUTCString().replace(/^\w+, (\d+) (\w+) (\d+) (\S+) GMT$/, '$1/$2/$3:$4 +0000');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    body: body.length > 0 ? body.toString(isBase64Encoded ? 'base64' : 'utf8') : undefined,
    isBase64Encoded,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: crypto.randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time,
      timeEpoch: now.getTime(),
    },
  };
}

const declaresTooLarge = (request: IncomingMessage): boolean =>
  Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES;

/**
 * The body, or undefined once it is too large: by Content-Length before reading, or when a chunked
 * body crosses the cap (reading stops there, nothing more is held).
 */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  if (declaresTooLarge(request)) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      request.off('data', onData);
      request.pause();
      chunks.length = 0;
      resolve(undefined);
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

/** How long the rest of a refused request is read and dropped before its socket is closed. */
const lingerMs = 1_000;

/**
 * A request refused before its body was read (bad target, too large). Not `Connection: close`:
 * Node would then close the socket with unread bytes in it, and the reset can destroy the answer
 * before the client reads it. Node drops (reads, never keeps) the rest of the body instead; a
 * second later the socket goes, so the dropping is bounded too.
 */
function refuse(response: ServerResponse, status: number, code: string, message: string): void {
  const { headers, body } = errorResponse(status, code, message);
  response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  response.end(body);
  const { socket } = response.req;
  response.once('finish', () => setTimeout(() => socket.destroy(), lingerMs).unref());
}

async function serve(handle: MockApi, request: IncomingMessage, response: ServerResponse) {
  const url = parseTarget(request.url ?? '/');
  if (!url) {
    refuse(response, 400, 'BAD_REQUEST_TARGET', 'The request target is not a URL');
    return;
  }
  const body = await readBody(request);
  if (!body) {
    refuse(response, 413, 'PAYLOAD_TOO_LARGE', `The body exceeds ${MAX_BODY_BYTES} bytes`);
    return;
  }
  const result = await handle(toFunctionUrlEvent(request, url, body));
  const bytes = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  response.writeHead(result.statusCode ?? 200, {
    ...(result.headers as Record<string, string> | undefined),
    'content-length': bytes.length,
  });
  response.end(bytes);
}

/**
 * Serves the Lambda handler over plain node:http on loopback, turning each request into the same
 * Function URL event Lambda would send, so local runs exercise exactly the deployed code path.
 */
export async function startMockApiServer(options: MockApiServerOptions = {}) {
  const defaults = mockSettingsFromEnv();
  const dataset = { ...defaults.dataset };
  for (const key of Object.keys(dataset) as (keyof DatasetOptions)[])
    dataset[key] = options[key] ?? dataset[key];
  const api = createMockApi({ settings: { ...defaults, dataset }, logger: options.logger });
  const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    serve(api.handle, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'Internal error' } }));
    });
  };
  const server = createBoundedServer(onRequest, options);
  // A client waiting for 100 Continue (curl does above 1 MB) is never asked for a refused body.
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    if (!declaresTooLarge(request)) response.writeContinue();
    onRequest(request, response);
  });
  // Loopback only: the mock has no authentication and admin routes that rewrite its data.
  await once(server.listen(options.port ?? 0, '127.0.0.1'), 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state: api.state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
