import { z } from 'zod';
import type { Random } from './prng';

export const faultRoutes = ['crm', 'inventory', 'analytics'] as const;
export type FaultRoute = (typeof faultRoutes)[number];

export const RouteFaultSchema = z.strictObject({
  /** Share of requests answered with `status` (default 500). */
  errorRate: z.number().min(0).max(1).optional(),
  status: z.number().int().min(400).max(599).optional(),
  /** Added to every request of the route, before anything else happens. */
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  /** Share of requests answered 429 with `Retry-After: retryAfterSeconds` (default 1). */
  rateLimitRate: z.number().min(0).max(1).optional(),
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  /** Every request answers 503 until this instant. */
  outageUntil: z.iso.datetime({ offset: true }).optional(),
});
export type RouteFault = z.infer<typeof RouteFaultSchema>;

export const FaultSettingsSchema = z.strictObject({
  crm: RouteFaultSchema.optional(),
  inventory: RouteFaultSchema.optional(),
  analytics: RouteFaultSchema.optional(),
});
export type FaultSettings = z.infer<typeof FaultSettingsSchema>;

export type FaultDecision =
  | { kind: 'pass'; latencyMs: number }
  | { kind: 'outage'; latencyMs: number; retryAfterSeconds: number }
  | { kind: 'rateLimited'; latencyMs: number; retryAfterSeconds: number }
  | { kind: 'error'; latencyMs: number; status: number };

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
  const latencyMs = fault?.latencyMs ?? 0;
  if (!fault) return { kind: 'pass', latencyMs };
  if (fault.outageUntil) {
    const until = Date.parse(fault.outageUntil);
    if (nowMs < until) {
      return {
        kind: 'outage',
        latencyMs,
        retryAfterSeconds: Math.max(1, Math.ceil((until - nowMs) / 1000)),
      };
    }
  }
  if (fault.rateLimitRate && random() < fault.rateLimitRate) {
    return { kind: 'rateLimited', latencyMs, retryAfterSeconds: fault.retryAfterSeconds ?? 1 };
  }
  if (fault.errorRate && random() < fault.errorRate) {
    return { kind: 'error', latencyMs, status: fault.status ?? 500 };
  }
  return { kind: 'pass', latencyMs };
}

/** `/crm/...` → crm; admin and the OpenAPI document never fail on purpose. */
export function faultRouteOf(path: string): FaultRoute | undefined {
  const first = path.split('/')[1];
  return faultRoutes.find((route) => route === first);
}
