import { describe, expect, it } from 'vitest';
import { defaultRecords, parseChaosOptions, quickRecords, selectScenarios } from './report';

describe('parseChaosOptions', () => {
  it('defaults to 20,000 records, seed 42, bench/results', () => {
    expect(parseChaosOptions([])).toEqual({
      records: defaultRecords,
      quick: false,
      seed: 42,
      outDir: 'bench/results',
    });
    expect(defaultRecords).toBe(20_000);
  });

  it('--quick means 1,500 records unless --records is given', () => {
    expect(parseChaosOptions(['--quick']).records).toBe(quickRecords);
    expect(quickRecords).toBe(1_500);
    expect(parseChaosOptions(['--quick', '--records', '600'])).toMatchObject({
      records: 600,
      quick: true,
    });
  });

  it('reads --only as a comma-separated list, --seed and --out-dir', () => {
    expect(
      parseChaosOptions(['--only', 'poison, crm-5xx,', '--seed', '7', '--out-dir', '/tmp/x']),
    ).toEqual({
      records: defaultRecords,
      quick: false,
      only: ['poison', 'crm-5xx'],
      seed: 7,
      outDir: '/tmp/x',
    });
  });

  it('rejects unknown flags, positionals and out-of-range values with the usage line', () => {
    for (const argv of [
      ['--nope'],
      ['extra'],
      ['--records', 'many'],
      ['--records', '10'],
      ['--records', '1.5'],
      ['--seed', '-1'],
      ['--only', ','],
      ['--only', 'Bad_Name'],
    ]) {
      expect(() => parseChaosOptions(argv), argv.join(' ')).toThrow(/usage: npm run chaos/);
    }
  });
});

describe('selectScenarios', () => {
  const registry = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];

  it('keeps the registry order whatever the order of --only', () => {
    expect(selectScenarios(registry, undefined)).toEqual(registry);
    expect(selectScenarios(registry, ['c', 'a'])).toEqual([{ name: 'a' }, { name: 'c' }]);
  });

  it('names unknown scenarios and lists the known ones', () => {
    expect(() => selectScenarios(registry, ['a', 'zz'])).toThrow(
      'unknown scenario zz; known: a, b, c',
    );
  });
});
