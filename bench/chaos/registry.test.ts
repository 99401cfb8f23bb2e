import { describe, expect, it } from 'vitest';
import { chaosScenarios } from './report';

describe('chaos registry', () => {
  it('names every scenario once, in kebab-case, with a one-line fault', () => {
    const names = chaosScenarios.map((scenario) => scenario.name);
    expect(new Set(names).size).toBe(names.length);
    for (const scenario of chaosScenarios) {
      expect(scenario.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(scenario.fault).not.toContain('\n');
      expect(scenario.fault.length).toBeGreaterThan(10);
    }
  });

  it('covers every fault of the issue', () => {
    expect(chaosScenarios.map((scenario) => scenario.name)).toEqual(
      expect.arrayContaining([
        'crm-5xx',
        'inventory-5xx',
        'rate-limit-storm',
        'latency-spikes',
        'source-outage',
        'analytics-outage-redrive',
        'poison',
        'clock-skew',
        'deletes',
      ]),
    );
  });
});
