import { z } from 'zod';

/** What EventBridge (rules or Scheduler with the default input) sends on the flush schedule. */
const ScheduledEventSchema = z.looseObject({
  'detail-type': z.literal('Scheduled Event'),
  source: z.enum(['aws.events', 'aws.scheduler']),
});

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

/**
 * Maps an invocation payload to a command: the schedule flushes; operators invoke
 * `{ "action": "redrive", "eventId"?: … }` or `{ "action": "list-dlq" }`. Anything else is
 * rejected with a message saying what is accepted, instead of being treated as a flush.
 */
export function parseInvokeEvent(event: unknown): FlushCommand {
  if (ScheduledEventSchema.safeParse(event).success) return { action: 'flush' };
  const manual = ManualInvokeSchema.safeParse(event);
  if (manual.success) return manual.data;
  const problems = manual.error.issues
    .map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`)
    .join('; ');
  throw new Error(
    `Unsupported flush invocation (${problems}). Expected an EventBridge "Scheduled Event", ` +
      '{ "action": "flush" }, { "action": "redrive", "eventId"?: "<64 hex>" } or { "action": "list-dlq" }',
  );
}
