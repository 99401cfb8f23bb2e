import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lambdaNodeMajor } from '../../lambdas/shared/pipeline';
import type { functionNames } from '../../lambdas/shared/pipeline';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const lockFile = join(projectRoot, 'package-lock.json');

export type HandlerFolder = (typeof functionNames)[keyof typeof functionNames];

export function handlerEntry(folder: HandlerFolder): string {
  return join(projectRoot, 'lambdas', folder, 'handler.ts');
}

/** Matches the Lambda runtime the functions deploy to (`nodejs<lambdaNodeMajor>.x`). */
export const esbuildTarget = `node${lambdaNodeMajor}`;

/**
 * Handlers are ESM (they use top-level await to build clients at cold start), but some bundled
 * CommonJS dependencies still call `require` for Node built-ins; ESM has no `require`, so the
 * bundle defines one.
 */
export const esmRequireBanner =
  "import { createRequire as __ecomSyncCreateRequire } from 'node:module'; const require = __ecomSyncCreateRequire(import.meta.url);";
