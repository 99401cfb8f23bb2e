import { z } from 'zod';
import { SeekRequestSchema } from '../../lambdas/shared/kafka';
import { MAX_EVENT_DEPTH, nestingDepth } from '../runtime/function-host';
import type { FunctionKey } from '../../lambdas/shared/pipeline';
import { functionNames } from '../../lambdas/shared/pipeline';
import type { PipelineFunctionKey as HostedFunctionKey } from '../../lambdas/shared/functions';

/** Invokes a pipeline function synchronously, like `aws lambda invoke` (RequestResponse). */
export type Invoke = (key: HostedFunctionKey, event: unknown) => Promise<unknown>;

const isoDateTime = z.iso.datetime({ offset: true });
const eventId = z.string().regex(/^[0-9a-f]{64}$/, 'eventId is 64 lowercase hex characters');

export const ResyncRequestSchema = z
  .strictObject({
    source: z.enum(['crm', 'inventory', 'all']),
    full: z.boolean().optional(),
    since: isoDateTime.optional(),
    redeliver: z.boolean().optional(),
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

/** `npm run replay`; with `redeliver`, flush republishes the range as a new delivery generation. */
export const ReplayRequestSchema = SeekRequestSchema.omit({ groupId: true }).extend({
  redeliver: z.boolean().optional(),
});
export type ReplayRequest = z.infer<typeof ReplayRequestSchema>;

export const RedriveRequestSchema = z.strictObject({ eventId: eventId.optional() });
export type RedriveRequest = z.infer<typeof RedriveRequestSchema>;

type HostedFunctionName = (typeof functionNames)[HostedFunctionKey];
/** Pipeline name → key of every function the local runtime hosts (`poll-crm` → `pollCrm`). */
export const functionKeysByName = Object.fromEntries(
  (Object.entries(functionNames) as [FunctionKey, string][])
    .filter(([key]) => key !== 'mockApis')
    .map(([key, name]) => [name, key]),
) as Record<HostedFunctionName, HostedFunctionKey>;

export const InvokeRequestSchema = z.strictObject({
  function: z.enum(
    Object.keys(functionKeysByName) as [HostedFunctionName, ...HostedFunctionName[]],
  ),
  // Refused here with a 400 rather than by the runtime with a 502: it is the request that is wrong.
  payload: z
    .unknown()
    .optional()
    .refine((payload) => nestingDepth(payload) <= MAX_EVENT_DEPTH, {
      message: `nests deeper than ${MAX_EVENT_DEPTH} levels`,
    }),
});
export type InvokeRequest = z.infer<typeof InvokeRequestSchema>;

const pollerKeys = { crm: 'pollCrm', inventory: 'pollInventory' } as const;

/**
 * Runs a resync: one poller invocation per source, in parallel, with the payload the pollers take
 * for it (`{ mode: 'full' }` or `{ since }`, lambdas/poller/poll-request.ts); answers per source.
 */
export async function resync(
  invoke: Invoke,
  request: ResyncRequest,
): Promise<Record<string, unknown>> {
  const { since, redeliver } = request;
  const payload = { ...(since === undefined ? { mode: 'full' } : { since }), redeliver };
  const targets = request.source === 'all' ? (['crm', 'inventory'] as const) : [request.source];
  const results = await Promise.all(targets.map((source) => invoke(pollerKeys[source], payload)));
  return Object.fromEntries(targets.map((source, index) => [source, results[index]]));
}

/**
 * DLQ redrive through flush (`{ "action": "redrive", "eventId"? }`): without an eventId, every
 * parked payload and every record the mapping dead-lettered.
 */
export function redrive(invoke: Invoke, request: RedriveRequest): Promise<unknown> {
  return invoke('flush', { action: 'redrive', ...request });
}

/** The parked payloads and dead-lettered records, from flush (`{ "action": "list-dlq" }`). */
export function listDlq(invoke: Invoke): Promise<unknown> {
  return invoke('flush', { action: 'list-dlq' });
}
