/**
 * `npm run bundle-size`: bundles every handler as the CDK app does and prints raw, gzip and zip
 * sizes; exits 1 if one is over 5 MB zipped (Lambda allows 50; small bundles start faster).
 */
import { deflateRawSync, gzipSync } from 'node:zlib';
import { functionNames } from '../../lambdas/shared/pipeline';
import { handlerEntry } from '../../lambdas/shared/functions';
import { bundleHandler } from '../lib/bundling';
import { topicsHandlerEntry } from '../lib/kafka-topics';

const LIMIT_BYTES = 5 * 1024 * 1024;

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

/** Size of a zip of `files` (deflated data, headers, central directory, end record), computed. */
function zipSize(files: { path: string; contents: Uint8Array }[]): number {
  let total = 22; // end of central directory
  for (const file of files) {
    const name = Buffer.byteLength(file.path);
    total += 30 + name + deflateRawSync(file.contents, { level: 9 }).length; // local header + data
    total += 46 + name; // central directory entry
  }
  return total;
}

async function main(): Promise<void> {
  let over = false;
  const rows: string[][] = [['function', 'index.mjs', 'gzip', 'zip (with .map)']];
  const entries = [
    ...Object.values(functionNames).map((folder) => [folder, handlerEntry(folder)] as const),
    ['kafka-topics (custom resource)', topicsHandlerEntry] as const,
  ];
  for (const [folder, entry] of entries) {
    const result = await bundleHandler(entry, { sourcemap: true });
    const code = result.outputFiles.find((file) => file.path.endsWith('.mjs'));
    if (!code) throw new Error(`${folder}: esbuild produced no index.mjs`);
    const zipped = zipSize(result.outputFiles);
    if (zipped > LIMIT_BYTES) over = true;
    rows.push([
      folder,
      kib(code.contents.length),
      kib(gzipSync(code.contents, { level: 9 }).length),
      `${kib(zipped)}${zipped > LIMIT_BYTES ? '  OVER 5 MB' : ''}`,
    ]);
  }
  const width = (column: number) => Math.max(...rows.map((row) => row[column]?.length ?? 0));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(width(i))).join('  ');
  for (const row of rows) console.log(line(row).trimEnd());
  if (over) {
    console.error(`a bundle is over ${kib(LIMIT_BYTES)} zipped`);
    process.exitCode = 1;
  }
}

await main();
