import { z } from 'zod';
import { MAX_EVENT_DEPTH, nestingDepth } from '../runtime/function-host';
import type { HostedFunctionKey } from '../runtime/pipeline-functions';

/** Invokes a pipeline function synchronously, like `aws lambda invoke` (RequestResponse). */
export type Invoke = (key: HostedFunctionKey, event: unknown) => Promise<unknown>;

const isoDateTime = z.iso.datetime({ offset: true });
const eventId = z.string().regex(/^[0-9a-f]{64}$/, 'eventId is 64 lowercase hex characters');

export const ResyncRequestSchema = z
  .strictObject({
    source: z.enum(['crm', 'inventory', 'all']),
    full: z.boolean().optional(),
    since: isoDateTime.optional(),
  })
  .refine((request) => (request.full === true) !== (request.since !== undefined), {
    message: 'give exactly one of "full": true or "since": "<ISO-8601 with offset>"',
  })
  // A poll since a future instant reads nothing and would still report `complete`.
  .refine((request) => request.since === undefined || Date.parse(request.since) <= Date.now(), {
    message: 'is in the future: nothing can have changed since then',
    path: ['since'],
  });
export type ResyncRequest = z.infer<typeof ResyncRequestSchema>;

export const RedriveRequestSchema = z.strictObject({ eventId: eventId.optional() });
export type RedriveRequest = z.infer<typeof RedriveRequestSchema>;

export const InvokeRequestSchema = z.strictObject({
  function: z.enum(['poll-crm', 'poll-inventory', 'merge-consumer', 'flush']),
  // Refused here with a 400 rather than by the runtime with a 502: it is the request that is wrong.
  payload: z
    .unknown()
    .optional()
    .refine((payload) => nestingDepth(payload) <= MAX_EVENT_DEPTH, {
      message: `nests deeper than ${MAX_EVENT_DEPTH} levels`,
    }),
});
export type InvokeRequest = z.infer<typeof InvokeRequestSchema>;

export const pollerKeys = { crm: 'pollCrm', inventory: 'pollInventory' } as const;
export const functionKeysByName: Record<InvokeRequest['function'], HostedFunctionKey> = {
  'poll-crm': 'pollCrm',
  'poll-inventory': 'pollInventory',
  'merge-consumer': 'mergeConsumer',
  flush: 'flush',
};

/** The payload the pollers take for a manual resync (lambdas/poller/poll-request.ts). */
export function resyncPayload(request: Pick<ResyncRequest, 'full' | 'since'>): unknown {
  return request.since === undefined ? { mode: 'full' } : { since: request.since };
}

/** The pollers a resync request addresses. */
export function resyncTargets(source: ResyncRequest['source']): Array<'crm' | 'inventory'> {
  return source === 'all' ? ['crm', 'inventory'] : [source];
}

/** Runs a resync: one poller invocation per source, in parallel; answers per source. */
export async function resync(
  invoke: Invoke,
  request: ResyncRequest,
): Promise<Record<string, unknown>> {
  const payload = resyncPayload(request);
  const targets = resyncTargets(request.source);
  const results = await Promise.all(targets.map((source) => invoke(pollerKeys[source], payload)));
  return Object.fromEntries(targets.map((source, index) => [source, results[index]]));
}

/** DLQ redrive through flush (`{ "action": "redrive", "eventId"? }`). */
export function redrive(invoke: Invoke, request: RedriveRequest): Promise<unknown> {
  return invoke('flush', { action: 'redrive', ...request });
}

/** The parked payloads, from flush (`{ "action": "list-dlq" }`). */
export function listDlq(invoke: Invoke): Promise<unknown> {
  return invoke('flush', { action: 'list-dlq' });
}
