import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';

/** The rule name infra gives each schedule; the local runtime uses the same ARN layout. */
export function scheduleRuleArn(functionName: string, region: string, account: string): string {
  return `arn:aws:events:${region}:${account}:rule/ecom-sync-${functionName}-schedule`;
}

/** An EventBridge "Scheduled Event", exactly as a rate() rule delivers it to Lambda. */
export function scheduledEvent(args: {
  ruleArn: string;
  region: string;
  account: string;
  now?: Date;
}): ScheduledEvent<Record<string, never>> {
  const time = new Date(args.now ?? Date.now());
  // EventBridge stamps scheduled events with the whole second they fired at.
  time.setUTCMilliseconds(0);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: args.account,
    time: time.toISOString().replace('.000Z', 'Z'),
    region: args.region,
    resources: [args.ruleArn],
    detail: {},
  };
}
