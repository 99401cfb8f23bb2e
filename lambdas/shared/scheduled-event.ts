import { z } from 'zod';

/**
 * What an EventBridge schedule rule (infra's `Schedules`) delivers; only the two fields that make
 * it one are pinned. Shape: corpus `aws-lambda-go-scheduled-event` (test/conformance/README.md).
 * EventBridge Scheduler is not this: it sends its target's `Input`, with no envelope.
 */
export const ScheduledEventSchema = z.looseObject({
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
  detail: z.looseObject({}).optional(),
});

export function isScheduledEvent(event: unknown): boolean {
  return ScheduledEventSchema.safeParse(event).success;
}

/** Names what a payload is, for an error message that says what was received. */
export function describePayload(event: unknown): string {
  if (event === null) return 'null';
  if (Array.isArray(event)) return 'an array';
  if (typeof event !== 'object') return `a ${typeof event}`;
  const keys = Object.keys(event);
  return keys.length === 0
    ? 'an empty object'
    : `an object with key(s) ${keys.map((key) => JSON.stringify(key)).join(', ')}`;
}
