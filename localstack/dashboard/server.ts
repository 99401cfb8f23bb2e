import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createBoundedServer } from '../bounded-server';
import type { OutputLine } from '../runtime/function-host';
import { InvocationError } from '../runtime/function-host';
import type { PipelineProgress } from '../start-pipeline';
import { ErrorLog } from './error-log';
import type { MetricSeries } from '../runtime/emf';
import type { Invoke, ReplayRequest } from './operations';
import {
  InvokeRequestSchema,
  RedriveRequestSchema,
  ReplayRequestSchema,
  ResyncRequestSchema,
  functionKeysByName,
  listDlq,
  redrive,
  resync,
} from './operations';
import { stageCounters, stagePanels } from './panels';

const MAX_BODY_BYTES = 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(JSON.stringify(body));
}

/** Reads a JSON body and parses it with `schema`; a bad body is a 400 that says what is wrong. */
async function readJson<T extends z.ZodType>(
  request: IncomingMessage,
  schema: T,
): Promise<z.output<T>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim() || '{}';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new HttpError(400, z.prettifyError(parsed.error));
  return parsed.data;
}

export interface DashboardOptions {
  /**
   * The local runtime's `invoke` (resync, redrive and list-dlq are function invocations). Until it
   * is given (here or through `serve`), operations answer 503 "starting".
   */
  invoke?: Invoke;
  progress: () => Promise<PipelineProgress>;
  /** The runtime's EMF series (`startLocalRuntime`'s `metrics`). */
  metrics: MetricSeries;
  /** 0 (default) = any free port; always on 127.0.0.1. */
  port?: number;
  progressIntervalMs?: number;
  /** Bounded runs: the record count Analytics should end up with (drives the progress bar). */
  expectedRecords?: number;
  /** How long a client may take to send one whole request (default 30 s). */
  requestTimeoutMs?: number;
}

interface OperationRecord {
  at: string;
  operation: string;
  request: unknown;
  ok: boolean;
  result: unknown;
}

/** One point of the lag and depth charts. */
type ProgressSample = Pick<PipelineProgress, 'consumerLag' | 'dlqMessages' | 'stagedObjects'> & {
  t: number;
};

export type Dashboard = Awaited<ReturnType<typeof startDashboard>>;
type Replay = (request: ReplayRequest) => Promise<unknown>;

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'page');
// Served from node_modules, so the page works offline and the version is the one package.json pins.
const CHART_JS = join(
  dirname(createRequire(import.meta.url).resolve('chart.js')),
  'chart.umd.min.js',
);
const staticFiles: Record<string, { file: string; type: string }> = {
  '/': { file: join(PAGE_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: join(PAGE_DIR, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: join(PAGE_DIR, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  '/vendor/chart.umd.min.js': { file: CHART_JS, type: 'text/javascript; charset=utf-8' },
};

/**
 * The request's URL, once its target and Host are the dashboard's own: a target that is not a
 * path is a 400, and a Host or Origin naming anything but this server is a 403 (a page elsewhere,
 * or another name rebound to 127.0.0.1).
 */
function checkTarget(request: IncomingMessage, allowedHosts: Set<string>): URL {
  const target = request.url ?? '/';
  let url: URL;
  try {
    if (!target.startsWith('/') || target.startsWith('//')) throw new Error(target);
    url = new URL(target, 'http://dashboard');
    decodeURIComponent(url.pathname);
  } catch {
    throw new HttpError(400, 'the request target is not a path');
  }
  if (!allowedHosts.has(request.headers.host ?? ''))
    throw new HttpError(403, `Host ${request.headers.host ?? '(none)'} is not this dashboard`);
  const origin = request.headers.origin;
  if (origin !== undefined && !allowedHosts.has(origin.replace(/^http:\/\//, '')))
    throw new HttpError(403, `Origin ${origin} is not this dashboard`);
  return url;
}

/**
 * Operations (they invoke functions) also need this run's token and a JSON body type: a form or
 * `text/plain` POST from another page carries neither, and a custom header cannot be sent
 * cross-origin without a CORS preflight this server never grants.
 */
function checkOperation(request: IncomingMessage, token: string): void {
  const given = Buffer.from(String(request.headers['x-ecom-sync-token'] ?? ''));
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new HttpError(401, 'missing or wrong x-ecom-sync-token (see .stack/runtime.json)');
  if (
    request.method === 'POST' &&
    !/^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '')
  )
    throw new HttpError(415, 'operations take Content-Type: application/json');
}

/**
 * The local dashboard and control API, served by `npm start`: the CloudWatch dashboard's stage
 * charts from the handlers' EMF lines, consumer lag and DLQ depth, the latest errors, and the
 * operator's buttons (resync, redrive), which invoke the functions as `aws lambda invoke` would.
 */
export async function startDashboard(options: DashboardOptions) {
  const { metrics, expectedRecords } = options;
  const errors = new ErrorLog();
  // Progress (Analytics stats, lag, staged objects, DLQ depth) is sampled on a timer: the lag and
  // DLQ charts need a history, and its sources should not be queried per browser tab per second.
  const history: ProgressSample[] = [];
  let latest: PipelineProgress | undefined;
  let lastError: string | undefined;
  let sampling: Promise<void> | undefined;
  const sample = (): Promise<void> =>
    (sampling ??= (async () => {
      try {
        latest = await options.progress();
        lastError = undefined;
        const { consumerLag, dlqMessages, stagedObjects } = latest;
        history.push({ t: Date.now(), consumerLag, dlqMessages, stagedObjects });
        if (history.length > 720) history.shift();
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      } finally {
        sampling = undefined;
      }
    })());
  const operations: OperationRecord[] = [];

  let invoke = options.invoke;
  let replay: Replay | undefined;
  // Filled in once the port is known; nothing is served before that.
  const allowedHosts = new Set<string>();
  const token = randomBytes(32).toString('base64url');
  const operate = async <Request>(
    response: ServerResponse,
    operation: string,
    request: Request,
    run: (invoke: Invoke, request: Request) => Promise<unknown>,
  ): Promise<void> => {
    if (!invoke)
      throw new HttpError(
        503,
        'starting: the functions are not running yet; retry in a few seconds',
      );
    const at = new Date().toISOString();
    try {
      const result = await run(invoke, request);
      operations.push({ at, operation, request, ok: true, result });
      sendJson(response, 200, { ok: true, result });
    } catch (error) {
      const failure =
        error instanceof InvocationError
          ? { errorType: error.payload.errorType, errorMessage: error.payload.errorMessage }
          : { errorType: 'Error', errorMessage: (error as Error).message };
      operations.push({ at, operation, request, ok: false, result: failure });
      sendJson(response, 502, { ok: false, error: failure });
    } finally {
      if (operations.length > 20) operations.shift();
      void sample();
    }
  };

  const views: Record<string, (url: URL) => unknown> = {
    'GET /api/config': () => ({
      panels: stagePanels,
      counters: stageCounters,
      bucketMs: metrics.bucketMs,
      token,
    }),
    'GET /api/metrics': (url) => metrics.snapshot(Number(url.searchParams.get('since') ?? 0)),
    'GET /api/progress': () => ({ latest, expectedRecords, history, lastError }),
    'GET /api/errors': () => ({ errors: errors.latest() }),
    'GET /api/operations': () => ({ operations: [...operations].reverse() }),
  };

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = checkTarget(request, allowedHosts);
    const key = `${request.method ?? 'GET'} ${url.pathname}`;
    const asset = request.method === 'GET' ? staticFiles[url.pathname] : undefined;
    if (asset) {
      response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store' });
      response.end(await readFile(asset.file));
      return;
    }
    const view = views[key];
    if (view) {
      sendJson(response, 200, view(url));
      return;
    }
    if (key === 'GET /api/dlq' || request.method === 'POST') checkOperation(request, token);
    switch (key) {
      case 'GET /api/dlq':
        return operate(response, 'list-dlq', {}, listDlq);
      case 'POST /api/resync':
        return operate(response, 'resync', await readJson(request, ResyncRequestSchema), resync);
      case 'POST /api/redrive':
        return operate(response, 'redrive', await readJson(request, RedriveRequestSchema), redrive);
      case 'POST /api/replay': {
        const body = await readJson(request, ReplayRequestSchema);
        return operate(response, 'replay', body, async () => {
          if (!replay) throw new Error('this runtime was served without replay');
          return replay(body);
        });
      }
      case 'POST /api/invoke': {
        const body = await readJson(request, InvokeRequestSchema);
        return operate(response, `invoke ${body.function}`, body, (run) =>
          run(functionKeysByName[body.function], body.payload ?? {}),
        );
      }
      default:
        throw new HttpError(404, `no route ${key}`);
    }
  };

  const server = createBoundedServer(
    (request, response) => {
      route(request, response).catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500;
        if (response.headersSent) response.end();
        else
          sendJson(response, status, {
            ok: false,
            error: { errorMessage: (error as Error).message },
          });
      });
    },
    { requestTimeoutMs: options.requestTimeoutMs, maxConnections: 64 },
  );
  const host = '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // What a browser sends as Host (and Origin) for this server; anything else is another site's
  // name resolving to loopback (DNS rebinding).
  for (const name of [host, 'localhost']) allowedHosts.add(`${name}:${port}`);
  void sample();
  const timer = setInterval(() => void sample(), options.progressIntervalMs ?? 2_000);
  timer.unref();

  return {
    url: `http://${host}:${port}/`,
    /**
     * This run's secret: operations need it in `x-ecom-sync-token`. The page reads it from
     * /api/config (same origin only), the CLIs from .stack/runtime.json.
     */
    token,
    /** Operations run from now on (they answered 503 "starting" before); `replay` is the runtime's. */
    serve(runtimeInvoke: Invoke, runtimeReplay?: Replay) {
      invoke = runtimeInvoke;
      replay = runtimeReplay;
    },
    /** Feed every handler output line here (the runtime's `onOutput`): errors are kept. */
    observe(line: OutputLine, isMetric: boolean) {
      if (!isMetric) errors.observe(line);
    },
    /** Takes a progress sample now (skipped while one is running). */
    progress: { sample },
    async close() {
      clearInterval(timer);
      await sampling;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
