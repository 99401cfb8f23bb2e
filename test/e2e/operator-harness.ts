import { execFile } from 'node:child_process';
import type { LocalRuntimeOptions } from '../../localstack/runtime/local-runtime';
import type { PipelineProgress, PipelineRun } from '../../localstack/start-pipeline';
import { startPipeline, topicMessageCount } from '../../localstack/start-pipeline';
import type { Dashboard } from '../../localstack/dashboard/server';
import { localStack } from '../support/local-stack';

export interface OperatorHarness extends PipelineRun {
  dashboard: Dashboard;
  /** Messages on this run's DLQ topic (works while Analytics, hence `progress`, is failing). */
  dlqMessages(): Promise<number>;
  /** Waits until `accept` holds and nothing is in flight (lag 0, staging empty, runtime idle). */
  waitUntilSettled(
    accept: (p: PipelineProgress) => boolean,
    timeoutMs: number,
  ): Promise<PipelineProgress>;
  /** Calls the mock APIs' admin routes (faults, mutations). */
  mockAdmin(path: string, method: string, body?: unknown): Promise<unknown>;
  /** `npm run <script> -- …args` against this run's dashboard, as an operator types it. */
  npmRun(script: 'resync' | 'dlq' | 'replay' | 'invoke', args: string[]): Promise<CliRun>;
  close(): Promise<void>;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as JSON, undefined when it is not. */
  json: unknown;
}

/** What `npm start` runs (startPipeline with its dashboard), on uniquely named resources. */
export async function startOperatorHarness(options: {
  customers: number;
  products: number;
  seed: number;
  extraEnv?: LocalRuntimeOptions['extraEnv'];
}): Promise<OperatorHarness> {
  const run = await startPipeline({
    endpoints: localStack(),
    label: 'ops',
    ...options,
    logLevel: 'WARN',
    dashboard: {
      bucketMs: 2_000,
      progressIntervalMs: 1_000,
      expectedRecords: options.customers + options.products,
    },
  });
  const { dashboard } = run;
  if (!dashboard) throw new Error('startPipeline did not start the dashboard');
  return {
    ...run,
    dashboard,
    dlqMessages: () => topicMessageCount(run.admin, run.names.dlqTopic),
    waitUntilSettled: (accept, timeoutMs) => run.waitUntilDrained({ accept, timeoutMs }),
    close: () => run.stop(),
    npmRun: (script, args) =>
      new Promise((resolve) => {
        const argv = ['run', '--silent', script, '--', ...args, '--url', dashboard.url];
        execFile('npm', argv, { timeout: 240_000 }, (error, stdout, stderr) => {
          let json: unknown;
          try {
            json = JSON.parse(stdout);
          } catch {
            json = undefined;
          }
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr, json });
        });
      }),
    async mockAdmin(path, method, body) {
      const response = await fetch(new URL(path, run.mock.url), {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body), // undefined without a body
      });
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}`);
      return response.status === 204 ? undefined : response.json();
    },
  };
}
