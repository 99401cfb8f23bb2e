import type { BenchResult } from './bench-result';
import { priceList, pricesReadOn } from './aws-prices';
import { figureHeaders, figureRows, requestHeaders, requestRows } from './figures';
import { formatNumber, formatRate, formatUsd } from './format';
import { markdownTable } from './table';

/** bench/results/bench-<timestamp>.md: the summary, the detail tables, the cost estimate and its prices. */
export function markdownReport(result: BenchResult): string {
  const { machine, options } = result;
  const sections: string[] = [
    `# ecom-sync benchmark, ${result.startedAt}`,
    `${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.platform}, node ${machine.node}, ${machine.java}, commit \`${machine.commit}\`${machine.dirty ? ' (uncommitted changes)' : ''}.`,
    `Options: ${formatNumber(options.records)} records, baseline ${formatNumber(options.baselineRecords)} records, ${options.trickleIntervals} trickle intervals, tick ${options.tickMs} ms, merge concurrency ${options.mergeConcurrency ?? 'default'}, seed ${options.seed}, emulator JVMs ${options.jvm}, scenarios ${options.only.join(', ')}.`,
    '## Summary',
    markdownTable(figureHeaders, figureRows(result)),
    '## Requests per record (counted with SDK middleware and client hooks)',
    markdownTable(requestHeaders, requestRows(result)),
  ];

  const { freshLoad, resync, baseline } = result.scenarios;
  if (freshLoad) {
    sections.push(
      '## Scenario 1: stage rates',
      markdownTable(
        ['Stage', 'Metric', 'Records', 'Window (s)', 'Records/s'],
        freshLoad.stages.map((stage) => [
          stage.stage,
          stage.metric,
          formatNumber(stage.records),
          formatNumber(stage.seconds, 1),
          formatRate(stage.recordsPerSecond),
        ]),
      ),
      '## Scenario 1: requests counted, by operation',
      markdownTable(
        ['Operation', 'Requests', 'Per 1,000 records'],
        Object.entries(freshLoad.requests.byOperation)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([operation, count]) => [
            operation,
            formatNumber(count),
            formatNumber((count / freshLoad.records) * 1000, 2),
          ]),
      ),
      '## Scenario 1: Lambda',
      markdownTable(
        ['Function', 'Invocations', 'Billed duration (s)', 'Memory (MB)'],
        freshLoad.lambda.map((usage) => [
          usage.functionName,
          formatNumber(usage.invocations),
          formatNumber(usage.billedMs / 1000, 1),
          String(usage.memoryMb),
        ]),
      ),
    );
  }
  if (resync) {
    sections.push(
      '## Scenario 2: requests counted during the resync, by operation',
      markdownTable(
        ['Operation', 'Requests', 'Per record'],
        Object.entries(resync.requests.byOperation)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([operation, count]) => [
            operation,
            formatNumber(count),
            (count / resync.records).toFixed(4),
          ]),
      ),
    );
  }
  if (baseline) sections.push('## Scenario 5: baseline', baseline.note);

  if (result.cost) {
    const cost = result.cost;
    sections.push(
      '## Estimated AWS cost per million records',
      `Derived from scenario 1's counted requests and measured durations. Total: **${formatUsd(cost.usdPerMillionRecords)} per million records**, plus the fixed monthly costs below.`,
      markdownTable(
        ['Item', 'Units / 1M records', 'Unit', 'USD / 1M records', 'Price'],
        cost.lines.map((line) => [
          line.item,
          formatNumber(line.unitsPerMillionRecords, 2),
          line.unit,
          formatUsd(line.usdPerMillionRecords),
          line.priceStatus,
        ]),
      ),
      '### Fixed monthly costs (not per record)',
      markdownTable(
        ['Item', 'USD / month', 'Price'],
        cost.fixedMonthly.map((line) => [line.item, formatUsd(line.usdPerMonth), line.priceStatus]),
      ),
      '### Assumptions',
      cost.assumptions.map((assumption) => `- ${assumption}`).join('\n'),
    );
  }
  sections.push(
    `## Prices used (read ${pricesReadOn}, bench/report/aws-prices.ts)`,
    markdownTable(
      ['Price', 'USD', 'Unit', 'Status', 'Source', 'Confirmed by'],
      priceList(result.prices.list).map((price) => [
        price.name,
        String(price.usd),
        price.unit,
        price.status,
        price.source,
        price.confirmedBy ?? '',
      ]),
    ),
  );
  if (result.errors.length > 0) {
    sections.push(
      '## Failures',
      result.errors.map((error) => `- ${error.scenario}: ${error.message}`).join('\n'),
    );
  }
  return `${sections.join('\n\n')}\n`;
}
