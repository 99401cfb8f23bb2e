import { describe, expect, it } from 'vitest';
import type { ChaosScenario, ScenarioOutcome } from './drive';
import { expectedDlqOf, verdictOf, verdictOfError } from './report';

const scenario: ChaosScenario = {
  name: 'example',
  fault: 'something breaks',
  run: () => Promise.reject(new Error('not run in unit tests')),
};

const clean: ScenarioOutcome = {
  expectedUnique: 100,
  received: 100,
  lost: 0,
  duplicated: 0,
  dlqMessages: 3,
  injectedPoison: 3,
  faultsInjected: '3 poison messages',
  elapsedSeconds: 12.5,
};

describe('verdictOf', () => {
  it('passes when nothing is lost or duplicated and the DLQ holds exactly the poison', () => {
    const verdict = verdictOf(scenario, clean);
    expect(verdict).toMatchObject({ name: 'example', fault: 'something breaks', verdict: 'pass' });
    expect(verdict.reasons).toEqual([]);
  });

  it('fails on lost, duplicated, short and extra-DLQ outcomes, naming each', () => {
    const verdict = verdictOf(scenario, {
      ...clean,
      received: 98,
      lost: 2,
      duplicated: 1,
      dlqMessages: 4,
    });
    expect(verdict.verdict).toBe('fail');
    expect(verdict.reasons).toEqual([
      '2 records lost',
      '1 records duplicated',
      'received 98 of 100 expected',
      '4 DLQ messages for 3 injected poison',
    ]);
  });

  it('fails when fewer DLQ messages than poison arrived', () => {
    expect(verdictOf(scenario, { ...clean, dlqMessages: 2 }).reasons).toEqual([
      '2 DLQ messages for 3 injected poison',
    ]);
  });

  it('compares with expectedDlqMessages when the scenario sets it', () => {
    const outage = { ...clean, injectedPoison: 0, dlqMessages: 5, expectedDlqMessages: 5 };
    expect(expectedDlqOf(outage)).toBe(5);
    expect(verdictOf(scenario, outage).verdict).toBe('pass');
    expect(verdictOf(scenario, { ...outage, dlqMessages: 4 }).reasons).toEqual([
      '4 DLQ messages, expected 5',
    ]);
  });

  it('fails on any failed scenario check even when the counts agree', () => {
    const verdict = verdictOf(scenario, {
      ...clean,
      failedChecks: ['poison p-1 has 2 DLQ messages'],
    });
    expect(verdict.verdict).toBe('fail');
    expect(verdict.reasons).toEqual(['poison p-1 has 2 DLQ messages']);
  });
});

describe('verdictOfError', () => {
  it('fails a scenario that threw, with its message', () => {
    const verdict = verdictOfError(scenario, new Error('stack went away'), 3);
    expect(verdict.verdict).toBe('fail');
    expect(verdict.reasons).toEqual(['scenario failed: stack went away']);
    expect(verdict.elapsedSeconds).toBe(3);
  });
});
