import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult } from './bench-result';
import { markdownReport } from './markdown-report';

/** Writes bench-<timestamp>.json and .md into `outDir`; returns their paths. */
export function writeResults(
  result: BenchResult,
  outDir: string,
): { json: string; markdown: string } {
  mkdirSync(outDir, { recursive: true });
  const stamp = result.startedAt.replaceAll(':', '-').replaceAll('.', '-');
  const json = join(outDir, `bench-${stamp}.json`);
  const markdown = join(outDir, `bench-${stamp}.md`);
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(markdown, markdownReport(result));
  return { json, markdown };
}
