import type { ServerName } from '../../localstack/stack/artifacts';
import type { StackEndpoints } from '../../localstack/stack/endpoints';

/** What a chaos scenario may do to the shared local stack. */
export interface ChaosStack {
  endpoints: StackEndpoints;
  /**
   * Kills one server JVM (SIGKILL by default) and starts it again on the same ports with the same
   * data directory; resolves once it answers again. `downMs`: how long it stays dead.
   */
  restartServer(
    name: ServerName,
    options?: { signal?: 'SIGKILL' | 'SIGTERM'; downMs?: number },
  ): Promise<void>;
}

export interface ChaosContext {
  stack: ChaosStack;
  /** Records in the scenario's data set (customers 2/3, products 1/3). */
  records: number;
  quick: boolean;
  seed: number;
  log(line: string): void;
}

/** What one scenario observed; `verdictOf` turns it into pass/fail. */
export interface ScenarioOutcome {
  /** Record versions that must be at Analytics (the source's current state, minus corrupt ones). */
  expectedUnique: number;
  /** Of those, how many Analytics holds. */
  received: number;
  /** expected − received: current versions Analytics never got. */
  lost: number;
  /** Record versions Analytics received more than once past the Idempotency-Key. */
  duplicated: number;
  /** Messages on the DLQ topic at the end. */
  dlqMessages: number;
  /** Poison the scenario injected on purpose (each must end up as exactly one DLQ message). */
  injectedPoison: number;
  /**
   * DLQ messages the scenario expects in total when that is not just the poison, e.g. one
   * analytics_dlq message per payload flush parked during an Analytics outage. Default:
   * `injectedPoison`.
   */
  expectedDlqMessages?: number;
  /**
   * Scenario-specific expectations that did not hold (e.g. "poison at offset 17 reached the DLQ
   * twice"); each one fails the verdict.
   */
  failedChecks?: string[];
  /** What was done, with figures (e.g. "kafka SIGKILL at 41 % delivered, down 3.0 s"). */
  faultsInjected: string;
  elapsedSeconds: number;
  notes?: string[];
}

export interface ChaosScenario {
  /** kebab-case, unique; `npm run chaos -- --only <name>` selects it. */
  name: string;
  /** One line: the fault. */
  fault: string;
  run(context: ChaosContext): Promise<ScenarioOutcome>;
}

export interface ScenarioVerdict extends ScenarioOutcome {
  name: string;
  fault: string;
  verdict: 'pass' | 'fail';
  reasons: string[];
}

/** The DLQ messages a scenario's outcome must show. */
export function expectedDlqOf(outcome: ScenarioOutcome): number {
  return outcome.expectedDlqMessages ?? outcome.injectedPoison;
}

/**
 * Pass: nothing lost, nothing duplicated, exactly the expected DLQ messages (the injected poison
 * unless the scenario says otherwise) and every scenario-specific check held.
 */
export function verdictOf(scenario: ChaosScenario, outcome: ScenarioOutcome): ScenarioVerdict {
  const reasons: string[] = [];
  if (outcome.lost > 0) reasons.push(`${outcome.lost} records lost`);
  if (outcome.duplicated > 0) reasons.push(`${outcome.duplicated} records duplicated`);
  if (outcome.received !== outcome.expectedUnique)
    reasons.push(`received ${outcome.received} of ${outcome.expectedUnique} expected`);
  const expectedDlq = expectedDlqOf(outcome);
  if (outcome.dlqMessages !== expectedDlq)
    reasons.push(
      outcome.expectedDlqMessages === undefined
        ? `${outcome.dlqMessages} DLQ messages for ${outcome.injectedPoison} injected poison`
        : `${outcome.dlqMessages} DLQ messages, expected ${expectedDlq}`,
    );
  reasons.push(...(outcome.failedChecks ?? []));
  return {
    name: scenario.name,
    fault: scenario.fault,
    ...outcome,
    verdict: reasons.length === 0 ? 'pass' : 'fail',
    reasons,
  };
}

/**
 * A scenario that threw instead of reporting: it fails, with the error as the reason. Its
 * figures are unknown, so they are zero and the notes say why.
 */
export function verdictOfError(
  scenario: ChaosScenario,
  error: unknown,
  elapsedSeconds: number,
): ScenarioVerdict {
  const message = error instanceof Error ? error.message : String(error);
  return {
    name: scenario.name,
    fault: scenario.fault,
    expectedUnique: 0,
    received: 0,
    lost: 0,
    duplicated: 0,
    dlqMessages: 0,
    injectedPoison: 0,
    faultsInjected: 'unknown: the scenario did not finish',
    elapsedSeconds,
    notes: ['figures unknown: the scenario threw before reporting'],
    verdict: 'fail',
    reasons: [`scenario failed: ${message}`],
  };
}
