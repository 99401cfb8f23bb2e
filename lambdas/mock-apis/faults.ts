import { z } from 'zod';
import type { MockResponse } from './http-types';
import { errorResponse } from './http-types';
import type { MockState } from './mock-state';

const faultRoutes = ['crm', 'inventory', 'analytics'] as const;
export type FaultRoute = (typeof faultRoutes)[number];

const RouteFaultSchema = z.strictObject({
  /** Share of requests answered with `status` (default 500). */
  errorRate: z.number().min(0).max(1).optional(),
  status: z.number().int().min(400).max(599).optional(),
  /** Added to every request of the route, before anything else happens. */
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  /** Share of requests that are delayed by `latencySpikeMs` more (a GC pause, a slow replica). */
  latencySpikeRate: z.number().min(0).max(1).optional(),
  latencySpikeMs: z.number().int().min(0).max(60_000).optional(),
  /** Share of requests answered 429 with `Retry-After: retryAfterSeconds` (default 1). */
  rateLimitRate: z.number().min(0).max(1).optional(),
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  /** Every request answers 503 until this instant. */
  outageUntil: z.iso.datetime({ offset: true }).optional(),
});

export const FaultSettingsSchema = z.strictObject({
  crm: RouteFaultSchema.optional(),
  inventory: RouteFaultSchema.optional(),
  analytics: RouteFaultSchema.optional(),
});
export type FaultSettings = z.infer<typeof FaultSettingsSchema>;

/**
 * Analytics endpoints that only observe what was received: the tests' window onto the sink, not
 * part of the system under test. Failing them on purpose would blind a chaos run during an outage.
 */
const observationPaths = new Set(['/analytics/stats', '/analytics/received']);

/** `/crm/...` → crm; admin, the OpenAPI document and the observation endpoints never fail on purpose. */
export function faultRouteOf(path: string): FaultRoute | undefined {
  if (observationPaths.has(path)) return undefined;
  return faultRoutes.find((route) => route === path.split('/')[1]);
}

/** Requests per route and what they suffered, for reports ("CRM: 23 of 118 answered 5xx"). */
const emptyTally = () => ({ requests: 0, errors: 0, rateLimited: 0, outage: 0, latencySpikes: 0 });
export const emptyFaultTallies = (): Record<FaultRoute, ReturnType<typeof emptyTally>> => ({
  crm: emptyTally(),
  inventory: emptyTally(),
  analytics: emptyTally(),
});

const retryAfter = (seconds: number) => ({ 'retry-after': String(seconds) });

/**
 * Tallies a request for `path` (without trailing slashes), waits out its latency and answers its
 * injected error, if any. Outage beats rate limiting beats errors; the draws are seeded, so a test
 * sees the same sequence on every run.
 */
export async function injectFault(
  state: MockState,
  path: string,
  nowMs: number,
  sleep: (ms: number) => Promise<void>,
): Promise<MockResponse | undefined> {
  const route = faultRouteOf(path);
  if (!route) return undefined;
  const tally = state.faultTally[route];
  tally.requests++;
  const fault = state.faults[route];
  if (!fault) return undefined;
  const random = state.faultRandom;
  // Drawn only when spikes are configured, so existing settings keep their sequence of failures.
  const spiked = fault.latencySpikeRate !== undefined && random() < fault.latencySpikeRate;
  if (spiked) tally.latencySpikes++;
  const outageMs = fault.outageUntil ? Date.parse(fault.outageUntil) - nowMs : 0;
  let answer: MockResponse | undefined;
  if (outageMs > 0) {
    tally.outage++;
    const seconds = Math.max(1, Math.ceil(outageMs / 1000));
    const message = `${route} is down (injected outage)`;
    answer = errorResponse(503, 'OUTAGE', message, {}, retryAfter(seconds));
  } else if (fault.rateLimitRate && random() < fault.rateLimitRate) {
    tally.rateLimited++;
    const headers = retryAfter(fault.retryAfterSeconds ?? 1);
    answer = errorResponse(429, 'RATE_LIMITED', 'Too many requests (injected)', {}, headers);
  } else if (fault.errorRate && random() < fault.errorRate) {
    tally.errors++;
    const status = fault.status ?? 500;
    answer = errorResponse(status, 'INJECTED_FAULT', `Injected ${status} on ${route}`);
  }
  const latencyMs = (fault.latencyMs ?? 0) + (spiked ? (fault.latencySpikeMs ?? 0) : 0);
  if (latencyMs > 0) await sleep(latencyMs);
  return answer;
}
