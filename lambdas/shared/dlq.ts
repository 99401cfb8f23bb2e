import { randomUUID } from 'node:crypto';
import type { Message, Producer } from 'kafkajs';
import { z } from 'zod';
import { topics } from './pipeline';

/**
 * A message on `analytics_dlq`: something that could not be delivered, the stage that gave up on
 * it, why, and where it came from, so an operator can find, fix and redrive it.
 */
export const DlqMessageSchema = z.object({
  dlqId: z.string().min(1),
  stage: z.enum(['poll', 'merge', 'flush']),
  reason: z.string().min(1),
  attempts: z.number().int().nonnegative(),
  failedAt: z.iso.datetime({ offset: true }),
  origin: z.object({
    source: z.string().optional(),
    topic: z.string().optional(),
    partition: z.number().int().optional(),
    offset: z.string().optional(),
    /** flush: the staged batches the failed payload carried, and where they are parked. */
    batchIds: z.array(z.string()).optional(),
    s3Keys: z.array(z.string()).optional(),
    eventId: z.string().optional(),
  }),
  /**
   * The offending input as received (raw text, possibly not JSON), truncated to keep the DLQ
   * message small. May contain PII: the DLQ topic is access-controlled like the source topics.
   */
  record: z.string().optional(),
});
export type DlqMessage = z.infer<typeof DlqMessageSchema>;

export const DLQ_RECORD_MAX_CHARS = 64 * 1024;

export type DlqEntry = Omit<DlqMessage, 'dlqId' | 'failedAt'>;

/**
 * Bytes of DLQ messages per `send`. The broker takes one record batch per partition per request,
 * and refuses a batch over `message.max.bytes` (1 MiB by default, on MSK too) with
 * MESSAGE_TOO_LARGE. One invocation can dead-letter dozens of oversized records at ~130 KiB each
 * (64 Ki chars, JSON-escaped), so they go in sends of at most this much. A single message is
 * always below it: its raw record is truncated to DLQ_RECORD_MAX_CHARS.
 */
const DLQ_MAX_BYTES_PER_SEND = 768 * 1024;

/** Publishes to `analytics_dlq`, acked by all replicas before it resolves. */
export class DlqPublisher {
  constructor(
    private readonly producer: Pick<Producer, 'send'>,
    private readonly topic: string = topics.dlq,
    private readonly now: () => Date = () => new Date(),
    private readonly maxBytesPerSend: number = DLQ_MAX_BYTES_PER_SEND,
  ) {}

  /**
   * Sends in order, in as many sends as the size limit needs. If a later send fails, the earlier
   * ones stay published and the caller's retry publishes them again: at least once.
   */
  async publish(entries: DlqEntry[]): Promise<DlqMessage[]> {
    const failedAt = this.now().toISOString();
    const messages = entries.map((entry) => ({
      ...entry,
      dlqId: randomUUID(),
      failedAt,
      record: truncate(entry.record),
    }));
    let chunk: Message[] = [];
    let bytes = 0;
    const send = async (): Promise<void> => {
      if (chunk.length > 0)
        await this.producer.send({ topic: this.topic, acks: -1, messages: chunk });
      chunk = [];
      bytes = 0;
    };
    for (const message of messages) {
      const record = {
        key: message.dlqId,
        value: JSON.stringify(message),
        headers: { stage: message.stage },
      };
      // + 64: Kafka's per-record framing (lengths, attributes, deltas), generously.
      const size = Buffer.byteLength(record.key + record.value + 'stage' + message.stage) + 64;
      // A record larger than the limit travels alone.
      if (bytes + size > this.maxBytesPerSend) await send();
      chunk.push(record);
      bytes += size;
    }
    await send();
    return messages;
  }
}

function truncate(record: string | undefined): string | undefined {
  return record !== undefined && record.length > DLQ_RECORD_MAX_CHARS
    ? `${record.slice(0, DLQ_RECORD_MAX_CHARS)}…[truncated ${record.length - DLQ_RECORD_MAX_CHARS} chars]`
    : record;
}
