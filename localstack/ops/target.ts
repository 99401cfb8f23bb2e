import { readRuntimeInfo } from './runtime-info';
import type { Invoker } from './invokers';
import { awsInvoker, localInvoker, readStackOutputs } from './invokers';

export interface TargetOptions {
  target?: string;
  url?: string;
  stack?: string;
}

/** Options every operator CLI takes. */
export const targetArgs = {
  target: { type: 'string' },
  url: { type: 'string' },
  stack: { type: 'string' },
} as const;

/**
 * local (the running `npm start`, found through .stack/runtime.json or `--url`) or aws (the
 * deployed stack's functions). Without `--target`: local when `npm start` runs, else aws.
 */
export async function resolveInvoker(
  options: TargetOptions,
): Promise<{ target: 'local' | 'aws'; invoke: Invoker }> {
  if (options.target !== undefined && options.target !== 'local' && options.target !== 'aws')
    throw new Error(`--target must be local or aws, not ${options.target}`);
  const url = options.url ?? process.env.ECOM_SYNC_DASHBOARD_URL;
  if (options.target !== 'aws') {
    const dashboardUrl = url ?? (await readRuntimeInfo())?.dashboardUrl;
    if (dashboardUrl) return { target: 'local', invoke: localInvoker(dashboardUrl) };
    if (options.target === 'local')
      throw new Error('no running `npm start` found (.stack/runtime.json); start it or pass --url');
  }
  const outputs = await readStackOutputs(options.stack ?? process.env.STACK_NAME ?? 'EcomSync');
  return { target: 'aws', invoke: awsInvoker(outputs) };
}

/** Prints the answer as JSON; a failure goes to stderr with exit code 1. */
export async function runCli(main: () => Promise<unknown>): Promise<void> {
  try {
    const result = await main();
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
