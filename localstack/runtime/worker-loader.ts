import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * The URL of tsx's ESM registration API. Node 20 does not apply `--import tsx` from a Worker's
 * execArgv before loading a `.ts` entry, so each worker registers tsx itself first.
 * `import.meta.resolve` is missing under some test runners; the fallback maps tsx's CJS entry
 * to its ESM twin (its CJS `register()` resolves the wrong path on Node 20).
 */
export function tsxEsmApiUrl(): string {
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (typeof resolve === 'function') {
    try {
      return resolve('tsx/esm/api');
    } catch {
      // fall through to the require-based lookup
    }
  }
  const cjsEntry = createRequire(import.meta.url).resolve('tsx/esm/api');
  return pathToFileURL(cjsEntry.replace(/index\.cjs$/, 'index.mjs')).href;
}

/** Source of the tiny eval'd worker bootstrap: register tsx, then load the TypeScript entry. */
export function workerBootstrapSource(entryUrl: string): string {
  return [
    '(async () => {',
    `  const { register } = await import(${JSON.stringify(tsxEsmApiUrl())});`,
    '  register();',
    `  await import(${JSON.stringify(entryUrl)});`,
    '})().catch((error) => { setImmediate(() => { throw error; }); });',
  ].join('\n');
}
