import type { BenchResult } from './bench-result';
import { figureHeaders, figureRows, requestHeaders, requestRows } from './figures';
import { terminalTable } from './table';

/** What `npm run bench` prints at the end. */
export function terminalReport(
  result: BenchResult,
  files: { json: string; markdown: string },
): string {
  return [
    terminalTable(figureHeaders, figureRows(result)),
    terminalTable(requestHeaders, requestRows(result)),
    `machine: ${result.machine.cpus} CPUs (${result.machine.cpuModel}), node ${result.machine.node}, ${result.machine.java}, commit ${result.machine.commit.slice(0, 12)}${result.machine.dirty ? ' (dirty)' : ''}`,
    `written: ${files.json}`,
    `         ${files.markdown}`,
  ].join('\n');
}
