import { describe, expect, it } from 'vitest';
import { parseBenchOptions } from './bench-options';

describe('parseBenchOptions', () => {
  it('defaults: 100,000 records, baseline min(N, 5,000), 5 intervals, every scenario', () => {
    expect(parseBenchOptions([])).toEqual({
      records: 100_000,
      baselineRecords: 5_000,
      trickleIntervals: 5,
      tickMs: 1_000,
      mergeConcurrency: undefined,
      seed: 42,
      jvm: 'throughput',
      only: ['fresh-load', 'resync', 'trickle', 'limits', 'baseline'],
      outDir: 'bench/results',
    });
  });

  it('caps the baseline at N and always keeps fresh-load', () => {
    const options = parseBenchOptions(['--records', '600', '--only', 'limits,resync']);
    expect(options.baselineRecords).toBe(600);
    expect(options.only).toEqual(['fresh-load', 'resync', 'limits']);
  });

  it('takes every option', () => {
    expect(
      parseBenchOptions([
        '--records=2000',
        '--baseline-records=100',
        '--trickle-intervals=2',
        '--tick-ms=500',
        '--merge-concurrency=4',
        '--seed=7',
        '--jvm=quick-start',
        '--out-dir=/tmp/x',
      ]),
    ).toMatchObject({
      records: 2_000,
      baselineRecords: 100,
      trickleIntervals: 2,
      tickMs: 500,
      mergeConcurrency: 4,
      seed: 7,
      jvm: 'quick-start',
      outDir: '/tmp/x',
    });
  });

  it('explains bad values, unknown scenarios and unknown flags, with the usage', () => {
    expect(() => parseBenchOptions(['--records', 'lots'])).toThrow(/--records must be a number/);
    expect(() => parseBenchOptions(['--records=-5'])).toThrow(/--records must be positive/);
    expect(() => parseBenchOptions(['--only', 'fresh,limits'])).toThrow(/--only takes .*got fresh/);
    expect(() => parseBenchOptions(['--jvm', 'fast'])).toThrow(
      /--jvm takes throughput or quick-start/,
    );
    expect(() => parseBenchOptions(['--recrods', '5'])).toThrow(
      /Unknown option '--recrods'[\s\S]*npm run bench/,
    );
  });
});
