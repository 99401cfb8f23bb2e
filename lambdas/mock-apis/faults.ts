import { z } from 'zod';
import type { MockResponse } from './http-types';
import { errorResponse } from './http-types';
import type { Random } from './prng';

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

/** `latencyMs` is the whole delay, spike included; `spiked` says whether a spike was drawn. */
export type FaultDecision = { latencyMs: number; spiked?: true } & (
  | { kind: 'pass' }
  | { kind: 'outage'; retryAfterSeconds: number }
  | { kind: 'rateLimited'; retryAfterSeconds: number }
  | { kind: 'error'; status: number }
);

/**
 * Decides what a request to `route` suffers. Outage beats rate limiting beats errors; the random
 * draws come from the seeded generator, so a test sees the same sequence on every run.
 */
export function decideFault(
  settings: FaultSettings,
  route: FaultRoute,
  nowMs: number,
  random: Random,
): FaultDecision {
  const fault = settings[route];
  if (!fault) return { kind: 'pass', latencyMs: 0 };
  // Drawn only when spikes are configured, so existing settings keep their sequence of failures.
  const spiked = fault.latencySpikeRate !== undefined && random() < fault.latencySpikeRate;
  const latencyMs = (fault.latencyMs ?? 0) + (spiked ? (fault.latencySpikeMs ?? 0) : 0);
  const delay = spiked ? { latencyMs, spiked: true as const } : { latencyMs };
  if (fault.outageUntil) {
    const until = Date.parse(fault.outageUntil);
    if (nowMs < until) {
      return {
        kind: 'outage',
        ...delay,
        retryAfterSeconds: Math.max(1, Math.ceil((until - nowMs) / 1000)),
      };
    }
  }
  if (fault.rateLimitRate && random() < fault.rateLimitRate) {
    return { kind: 'rateLimited', ...delay, retryAfterSeconds: fault.retryAfterSeconds ?? 1 };
  }
  if (fault.errorRate && random() < fault.errorRate) {
    return { kind: 'error', ...delay, status: fault.status ?? 500 };
  }
  return { kind: 'pass', ...delay };
}

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
export type FaultTally = Record<
  'requests' | 'errors' | 'rateLimited' | 'outage' | 'latencySpikes',
  number
>;

export const emptyFaultTallies = (): Record<FaultRoute, FaultTally> => {
  const empty = () => ({ requests: 0, errors: 0, rateLimited: 0, outage: 0, latencySpikes: 0 });
  return { crm: empty(), inventory: empty(), analytics: empty() };
};

const tallied = { error: 'errors', rateLimited: 'rateLimited', outage: 'outage' } as const;

/**
 * Applies the fault settings to a request for `path` (already without trailing slashes): waits
 * out the injected latency, counts what the request suffered, and answers the injected error,
 * if any; undefined lets the request through.
 */
export async function injectFault(
  state: { faults: FaultSettings; faultRandom: Random; faultTally: Record<FaultRoute, FaultTally> },
  path: string,
  nowMs: number,
  sleep: (ms: number) => Promise<void>,
): Promise<MockResponse | undefined> {
  const route = faultRouteOf(path);
  if (!route) return undefined;
  const fault = decideFault(state.faults, route, nowMs, state.faultRandom);
  const tally = state.faultTally[route];
  tally.requests++;
  if (fault.spiked) tally.latencySpikes++;
  if (fault.kind !== 'pass') tally[tallied[fault.kind]]++;
  if (fault.latencyMs > 0) await sleep(fault.latencyMs);
  if (fault.kind === 'pass') return undefined;
  if (fault.kind === 'error') {
    return errorResponse(fault.status, 'INJECTED_FAULT', `Injected ${fault.status} on ${route}`);
  }
  const retryAfter = { 'retry-after': String(fault.retryAfterSeconds) };
  return fault.kind === 'outage'
    ? errorResponse(503, 'OUTAGE', `${route} is down (injected outage)`, {}, retryAfter)
    : errorResponse(429, 'RATE_LIMITED', 'Too many requests (injected)', {}, retryAfter);
}
