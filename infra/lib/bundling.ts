import { build } from 'esbuild';
import { lambdaNodeMajor } from '../../lambdas/shared/pipeline';

/**
 * How every handler is bundled, in NodejsFunction's terms and esbuild's: the target matches the
 * runtime the functions deploy to (`nodejs<lambdaNodeMajor>.x`); minified, so class names are
 * mangled on AWS.
 */
export const handlerBundling = {
  target: `node${lambdaNodeMajor}`,
  mainFields: ['module', 'main'],
  minify: true,
};

/** The ESM bundles (top-level await) define `require` for CommonJS dependencies that call it. */
export const esmRequireBanner =
  "import { createRequire as __ecomSyncCreateRequire } from 'node:module'; const require = __ecomSyncCreateRequire(import.meta.url);";

/** `entry` bundled in memory as the CDK app bundles it (`npm run bundle-size`, minified-name tests). */
export const bundleHandler = (entry: string, options: { sourcemap?: boolean } = {}) =>
  build({
    ...handlerBundling,
    entryPoints: [entry],
    bundle: true,
    write: false,
    outfile: 'index.mjs',
    platform: 'node',
    format: 'esm',
    banner: { js: esmRequireBanner },
    logLevel: 'error',
    ...options,
  });
