import { lambdaNodeMajor } from '../../lambdas/shared/pipeline';

/** Matches the Lambda runtime the functions deploy to (`nodejs<lambdaNodeMajor>.x`). */
export const esbuildTarget = `node${lambdaNodeMajor}`;

/**
 * Handlers are ESM (they use top-level await to build clients at cold start), but some bundled
 * CommonJS dependencies still call `require` for Node built-ins; ESM has no `require`, so the
 * bundle defines one.
 */
export const esmRequireBanner =
  "import { createRequire as __ecomSyncCreateRequire } from 'node:module'; const require = __ecomSyncCreateRequire(import.meta.url);";
