import { z } from 'zod';

/**
 * What an EventBridge rule with a schedule expression delivers to its Lambda target (the
 * infra's `Schedules` are such rules). The two fields that make it a scheduled event are
 * pinned; the rest of the envelope (id, time, account, region, resources, detail) is AWS's to
 * extend. Shape: corpus `aws-lambda-go-scheduled-event` (test/conformance/README.md).
 *
 * EventBridge Scheduler is not this: a schedule sends its target's `Input` as the event, with
 * no envelope of its own.
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
