import { z } from 'zod';
import type { AnalyticsStore } from '../../lambdas/mock-apis/analytics-store';
import type { TopicMessage } from '../limits/topic-snapshot';

/** The envelope fields that name a record version (lambdas/shared/envelope.ts). */
const EnvelopeKeySchema = z.object({
  eventType: z.enum(['CUSTOMER', 'PRODUCT']),
  contentHash: z.string(),
  payload: z.object({ id: z.string() }).loose(),
});

export interface PublishLatencies {
  /** Publish (Kafka message timestamp) → Analytics receipt of that version, per message, ms. */
  latenciesMs: number[];
  /** Messages whose version Analytics never received (superseded or lost). */
  unmatched: number;
  /** Messages that are not a record envelope. */
  unreadable: number;
}

/**
 * Per-record latency from publish to Analytics: the message's Kafka timestamp (CreateTime, set by
 * the poller's producer) against the Analytics store's receipt time of the same version, matched
 * by `eventType#id#contentHash`. A version received more than once counts its first receipt.
 */
export function publishLatencies(
  messages: readonly TopicMessage[],
  analytics: Pick<AnalyticsStore, 'getRecord'>,
): PublishLatencies {
  const latenciesMs: number[] = [];
  let unmatched = 0;
  let unreadable = 0;
  for (const message of messages) {
    const envelope = parseEnvelope(message.value);
    if (!envelope) {
      unreadable++;
      continue;
    }
    const received = analytics
      .getRecord(envelope.eventType, envelope.payload.id)
      ?.versions.find((version) => version.contentHash === envelope.contentHash);
    if (!received) {
      unmatched++;
      continue;
    }
    latenciesMs.push(Date.parse(received.receivedAt) - message.timestampMs);
  }
  return { latenciesMs, unmatched, unreadable };
}

function parseEnvelope(value: Buffer): z.infer<typeof EnvelopeKeySchema> | undefined {
  try {
    const parsed = EnvelopeKeySchema.safeParse(JSON.parse(value.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes of the messages as the broker stores them (key + value), what MSK bills as data in. */
export function messageBytes(messages: readonly TopicMessage[]): number {
  return messages.reduce(
    (sum, message) =>
      sum + message.value.length + (message.key ? Buffer.byteLength(message.key) : 0),
    0,
  );
}
