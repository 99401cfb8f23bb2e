import type { Logger } from '@aws-lambda-powertools/logger';
import type { Producer } from 'kafkajs';
import type { Envelope } from '../shared/envelope';

export interface PublishDeps {
  producer: Pick<Producer, 'send'>;
  logger?: Pick<Logger, 'debug' | 'appendKeys' | 'removeKeys'>;
}

/**
 * Sends envelopes in chunks of `batchSize`, one chunk at a time, each acked by all in-sync
 * replicas. Resolves only when every message is durable; rejects on the first failed chunk
 * (earlier chunks stay published: at-least-once, the consumer dedupes). Each acked message is
 * logged at DEBUG with its `messageId` as the Powertools correlation id (DESIGN.md,
 * Observability), the id merge-consumer sees in the envelope.
 */
export async function publishEnvelopes(
  { producer, logger }: PublishDeps,
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
    if (logger === undefined) continue;
    for (const { messageId, payload, eventType } of chunk) {
      logger.appendKeys({ correlation_id: messageId });
      logger.debug('record published', { recordId: payload.id, eventType, topic });
    }
    logger.removeKeys(['correlation_id']);
  }
}
