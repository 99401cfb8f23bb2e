import type { Producer } from 'kafkajs';
import type { Envelope } from '../shared/envelope';

/**
 * Sends envelopes in chunks of `batchSize`, one chunk at a time, each acked by all in-sync
 * replicas. Resolves only when every message is durable; rejects on the first failed chunk
 * (earlier chunks stay published: at-least-once, the consumer dedupes).
 */
export async function publishEnvelopes(
  producer: Pick<Producer, 'send'>,
  topic: string,
  envelopes: readonly Envelope[],
  batchSize: number,
): Promise<void> {
  for (let start = 0; start < envelopes.length; start += batchSize) {
    const chunk = envelopes.slice(start, start + batchSize);
    await producer.send({
      topic,
      acks: -1,
      messages: chunk.map((envelope) => ({
        key: envelope.payload.id,
        value: JSON.stringify(envelope),
        headers: { eventType: envelope.eventType, syncType: envelope.syncType },
      })),
    });
  }
}
