import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { DlqMessage } from './dlq-message';
import { DLQ_RECORD_MAX_CHARS } from './dlq-message';
import { topics } from './pipeline';

export type DlqEntry = Omit<DlqMessage, 'dlqId' | 'failedAt' | 'record'> & {
  record?: string;
};

/**
 * Bytes of DLQ messages per `send`. The broker takes one record batch per partition per request,
 * and refuses a batch over `message.max.bytes` (1 MiB by default, on MSK too) with
 * MESSAGE_TOO_LARGE. One invocation can dead-letter dozens of oversized records at ~130 KiB each
 * (64 Ki chars, JSON-escaped), so they go in sends of at most this much. A single message is
 * always below it: its raw record is truncated to DLQ_RECORD_MAX_CHARS.
 */
export const DLQ_MAX_BYTES_PER_SEND = 768 * 1024;

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
    if (entries.length === 0) return [];
    const messages = entries.map((entry) => this.toMessage(entry));
    const records = messages.map((message) => ({
      key: message.dlqId,
      value: JSON.stringify(message),
      headers: { stage: message.stage },
    }));
    for (const chunk of chunkByBytes(records, this.maxBytesPerSend)) {
      await this.producer.send({ topic: this.topic, acks: -1, messages: chunk });
    }
    return messages;
  }

  private toMessage(entry: DlqEntry): DlqMessage {
    return {
      ...entry,
      dlqId: randomUUID(),
      failedAt: this.now().toISOString(),
      record: truncate(entry.record),
    };
  }
}

interface KafkaRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

function recordBytes(record: KafkaRecord): number {
  const headerBytes = Object.entries(record.headers).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value),
    0,
  );
  // + 64: Kafka's per-record framing (lengths, attributes, deltas), generously.
  return Buffer.byteLength(record.key) + Buffer.byteLength(record.value) + headerBytes + 64;
}

/** Consecutive chunks of at most `maxBytes` each (a record larger than that travels alone). */
function chunkByBytes(records: readonly KafkaRecord[], maxBytes: number): KafkaRecord[][] {
  const chunks: KafkaRecord[][] = [];
  let chunk: KafkaRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = recordBytes(record);
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(record);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

function truncate(record: string | undefined): string | undefined {
  return record !== undefined && record.length > DLQ_RECORD_MAX_CHARS
    ? `${record.slice(0, DLQ_RECORD_MAX_CHARS)}…[truncated ${record.length - DLQ_RECORD_MAX_CHARS} chars]`
    : record;
}
