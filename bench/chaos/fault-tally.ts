import type { FaultRoute, FaultTally } from '../../lambdas/mock-apis/faults';
import type { MockState } from '../../lambdas/mock-apis/mock-state';

const routeLabels: Record<FaultRoute, string> = {
  crm: 'CRM',
  inventory: 'Inventory',
  analytics: 'Analytics',
};

/**
 * What the mock actually did to a route's requests, e.g. "CRM: 23 of 118 requests answered 5xx,
 * 4 delayed": the report states the faults that happened, not only the configured rates.
 */
export function describeFaultTally(state: MockState, routes: readonly FaultRoute[]): string {
  return routes.map((route) => describeRoute(route, state.faultTally[route])).join('; ');
}

function describeRoute(route: FaultRoute, tally: FaultTally): string {
  const suffered = [
    tally.errors > 0 ? `${tally.errors} answered 5xx` : undefined,
    tally.rateLimited > 0 ? `${tally.rateLimited} answered 429` : undefined,
    tally.outage > 0 ? `${tally.outage} answered 503 (outage)` : undefined,
    tally.latencySpikes > 0 ? `${tally.latencySpikes} delayed by a spike` : undefined,
  ].filter((part): part is string => part !== undefined);
  return `${routeLabels[route]}: ${suffered.length > 0 ? suffered.join(', ') : 'nothing injected'} of ${tally.requests} requests`;
}
