import { RUNTIME_INFO_PATH, dashboardToken, readRuntimeInfo } from './runtime-info';
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
 * deployed stack's functions). AWS only when asked for by name: an operator who meant the local
 * stack must never redrive production because `npm start` had stopped.
 */
export async function resolveInvoker(
  options: TargetOptions,
  runtimeInfoPath = RUNTIME_INFO_PATH,
): Promise<{ target: 'local' | 'aws'; invoke: Invoker }> {
  if (options.target !== undefined && options.target !== 'local' && options.target !== 'aws')
    throw new Error(`--target must be local or aws, not ${options.target}`);
  const url = options.url ?? process.env.ECOM_SYNC_DASHBOARD_URL;
  if (options.target === 'aws') {
    if (url !== undefined)
      throw new Error('--url names a local dashboard; it cannot go with --target aws');
    // The SDK's documented switch for its "upgrade Node.js" notice (@aws-sdk/core
    // emitWarningIfUnsupportedVersion), printed on every CLI run otherwise.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const outputs = await readStackOutputs(options.stack ?? process.env.STACK_NAME ?? 'EcomSync');
    return { target: 'aws', invoke: awsInvoker(outputs) };
  }
  if (url !== undefined)
    return { target: 'local', invoke: localInvoker(url, await dashboardToken(url)) };
  const info = await readRuntimeInfo(runtimeInfoPath);
  return { target: 'local', invoke: localInvoker(info.dashboardUrl, info.token) };
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
