import { z } from 'zod';
import { describePayload, isScheduledEvent } from '../shared/scheduled-event';

const ManualInvokeSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('flush') }),
  z.strictObject({
    action: z.literal('redrive'),
    eventId: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
  }),
  z.strictObject({ action: z.literal('list-dlq') }),
]);

export type FlushCommand =
  { action: 'flush' } | { action: 'redrive'; eventId?: string } | { action: 'list-dlq' };

export const ACCEPTED_FLUSH_INVOCATIONS =
  'an EventBridge scheduled event ({"source":"aws.events","detail-type":"Scheduled Event",…}), ' +
  '{"action":"flush"}, {"action":"redrive","eventId"?:"<64 hex>"} or {"action":"list-dlq"}';

export class InvalidFlushInvocationError extends Error {
  constructor(details: string) {
    super(`Unsupported flush invocation: ${details}. Send ${ACCEPTED_FLUSH_INVOCATIONS}.`);
    this.name = 'InvalidFlushInvocationError';
  }
}

/**
 * Maps an invocation payload to a command: the schedule flushes; operators invoke
 * `{ "action": "redrive", "eventId"?: … }` or `{ "action": "list-dlq" }`. Anything else is
 * rejected with a message saying what is accepted, instead of being treated as a flush.
 */
export function parseInvokeEvent(event: unknown): FlushCommand {
  if (isScheduledEvent(event)) return { action: 'flush' };
  const manual = ManualInvokeSchema.safeParse(event);
  if (manual.success) return manual.data;
  const isObject = typeof event === 'object' && event !== null && !Array.isArray(event);
  throw new InvalidFlushInvocationError(
    isObject && 'action' in event
      ? z.prettifyError(manual.error).replaceAll('\n', ' ')
      : `got ${describePayload(event)}`,
  );
}
