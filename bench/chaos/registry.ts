import type { ChaosScenario } from './scenario';
import { analyticsOutageRedrive } from './scenarios/analytics-outage';
import { clockSkewScenario } from './scenarios/clock-skew';
import { crashScenarios } from './scenarios/crashes';
import { poisonScenario } from './scenarios/poison';
import { restartScenarios } from './scenarios/restarts';
import { sourceFaultScenarios } from './scenarios/source-faults';

/**
 * Every chaos scenario, in the order `npm run chaos` runs them: source API faults, the Analytics
 * outage, poison and clock skew first (cheap, and they leave the servers alone), then process
 * crashes, then server restarts (the most disruptive, last).
 */
export const chaosScenarios: readonly ChaosScenario[] = [
  ...sourceFaultScenarios,
  analyticsOutageRedrive,
  poisonScenario,
  clockSkewScenario,
  ...crashScenarios,
  ...restartScenarios,
];
