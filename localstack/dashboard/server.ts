import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OutputLine } from '../runtime/function-host';
import { InvocationError } from '../runtime/function-host';
import type { PipelineProgress } from '../runtime/progress';
import { ErrorLog } from './error-log';
import { HttpError, readJson, sendJson } from './http-helpers';
import { MetricSeries } from './metric-series';
import type { Invoke } from './operations';
import {
  InvokeRequestSchema,
  RedriveRequestSchema,
  ResyncRequestSchema,
  functionKeysByName,
  listDlq,
  redrive,
  resync,
} from './operations';
import { stageCounters, stagePanels } from './panels';
import { ProgressHistory } from './progress-history';

export interface DashboardOptions {
  /** The local runtime's `invoke` (resync, redrive and list-dlq are function invocations). */
  invoke: Invoke;
  progress: () => Promise<PipelineProgress>;
  /** 0 (default) = any free port. */
  port?: number;
  host?: string;
  bucketMs?: number;
  progressIntervalMs?: number;
  /** Bounded runs: the record count Analytics should end up with (drives the progress bar). */
  expectedRecords?: number;
}

export interface OperationRecord {
  at: string;
  operation: string;
  request: unknown;
  ok: boolean;
  result: unknown;
}

export interface Dashboard {
  url: string;
  /** Feed every handler output line here (the runtime's `onOutput`). */
  observe(line: OutputLine, isMetric: boolean): void;
  metrics: MetricSeries;
  errors: ErrorLog;
  progress: ProgressHistory;
  close(): Promise<void>;
}

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
 * The local dashboard and control API, served by `npm start`: the CloudWatch dashboard's stage
 * charts from the handlers' EMF lines, consumer lag and DLQ depth, the latest errors, and the
 * operator's buttons (resync, redrive), which invoke the functions as `aws lambda invoke` would.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const metrics = new MetricSeries(options.bucketMs ?? 5_000);
  const errors = new ErrorLog();
  const progress = new ProgressHistory(options.progress, {
    intervalMs: options.progressIntervalMs ?? 2_000,
    ...(options.expectedRecords === undefined ? {} : { expectedRecords: options.expectedRecords }),
  });
  const operations: OperationRecord[] = [];

  const operate = async (
    response: ServerResponse,
    operation: string,
    request: unknown,
    run: () => Promise<unknown>,
  ): Promise<void> => {
    const at = new Date().toISOString();
    try {
      const result = await run();
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
      void progress.sample();
    }
  };

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://dashboard');
    const key = `${request.method ?? 'GET'} ${url.pathname}`;
    const asset = request.method === 'GET' ? staticFiles[url.pathname] : undefined;
    if (asset) {
      response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store' });
      response.end(await readFile(asset.file));
      return;
    }
    switch (key) {
      case 'GET /api/config':
        return sendJson(response, 200, {
          panels: stagePanels,
          counters: stageCounters,
          bucketMs: metrics.bucketMs,
        });
      case 'GET /api/metrics':
        return sendJson(
          response,
          200,
          metrics.snapshot(Number(url.searchParams.get('since') ?? 0)),
        );
      case 'GET /api/progress':
        return sendJson(response, 200, progress.view());
      case 'GET /api/errors':
        return sendJson(response, 200, { errors: errors.latest() });
      case 'GET /api/operations':
        return sendJson(response, 200, { operations: [...operations].reverse() });
      case 'GET /api/dlq':
        return operate(response, 'list-dlq', {}, () => listDlq(options.invoke));
      case 'POST /api/resync': {
        const body = await readJson(request, ResyncRequestSchema);
        return operate(response, 'resync', body, () => resync(options.invoke, body));
      }
      case 'POST /api/redrive': {
        const body = await readJson(request, RedriveRequestSchema);
        return operate(response, 'redrive', body, () => redrive(options.invoke, body));
      }
      case 'POST /api/invoke': {
        const body = await readJson(request, InvokeRequestSchema);
        return operate(response, `invoke ${body.function}`, body, () =>
          options.invoke(functionKeysByName[body.function], body.payload ?? {}),
        );
      }
      default:
        throw new HttpError(404, `no route ${key}`);
    }
  };

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (!response.headersSent)
        sendJson(response, status, {
          ok: false,
          error: { errorMessage: (error as Error).message },
        });
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  progress.start();

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    observe(line, isMetric) {
      if (isMetric) metrics.observe(line.text);
      else errors.observe(line);
    },
    metrics,
    errors,
    progress,
    async close() {
      await progress.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
