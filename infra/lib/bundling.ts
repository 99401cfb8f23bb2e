import { lambdaNodeMajor } from '../../lambdas/shared/pipeline';

/** Matches the Lambda runtime the functions deploy to (`nodejs<lambdaNodeMajor>.x`). */
export const esbuildTarget = `node${lambdaNodeMajor}`;

/** The ESM bundles (top-level await) define `require` for CommonJS dependencies that call it. */
export const esmRequireBanner =
  "import { createRequire as __ecomSyncCreateRequire } from 'node:module'; const require = __ecomSyncCreateRequire(import.meta.url);";
