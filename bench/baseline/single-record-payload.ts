/**
 * The Analytics payload of the replaced design: one record per POST, its Idempotency-Key derived
 * from the record version, so a re-sent version is a duplicate at Analytics too.
 */
import type { AnalyticsPayload } from '../../lambdas/shared/analytics-payload';
import type { Envelope } from '../../lambdas/shared/envelope';
import { recordVersionKey } from '../../lambdas/shared/envelope';

/** Where the message came from; names the "batch" of one the payload carries. */
export interface MessagePosition {
  topic: string;
  partition: number;
  offset: string;
}

export function singleRecordPayload(
  envelope: Envelope,
  position: MessagePosition,
  now: Date,
): AnalyticsPayload {
  const common = {
    eventId: `baseline#${recordVersionKey(envelope)}`,
    timestamp: now.toISOString(),
  };
  const metadata = {
    source: envelope.source,
    batchIds: [`${position.topic}-${position.partition}:${position.offset}`],
  };
  return envelope.eventType === 'CUSTOMER'
    ? {
        ...common,
        customers: [envelope.payload],
        products: [],
        metadata: { ...metadata, customerCount: 1, productCount: 0 },
      }
    : {
        ...common,
        customers: [],
        products: [envelope.payload],
        metadata: { ...metadata, customerCount: 0, productCount: 1 },
      };
}
