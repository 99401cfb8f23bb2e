import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { DlqMessage } from './dlq-message';
import { DLQ_RECORD_MAX_CHARS } from './dlq-message';
import { topics } from './pipeline';

export type DlqEntry = Omit<DlqMessage, 'dlqId' | 'failedAt' | 'record'> & {
  record?: string;
};

/** Publishes to `analytics_dlq`, acked by all replicas before it resolves. */
export class DlqPublisher {
  constructor(
    private readonly producer: Pick<Producer, 'send'>,
    private readonly topic: string = topics.dlq,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async publish(entries: DlqEntry[]): Promise<DlqMessage[]> {
    if (entries.length === 0) return [];
    const messages = entries.map((entry) => this.toMessage(entry));
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: messages.map((message) => ({
        key: message.dlqId,
        value: JSON.stringify(message),
        headers: { stage: message.stage },
      })),
    });
    return messages;
  }

  private toMessage(entry: DlqEntry): DlqMessage {
    const { record, ...rest } = entry;
    return {
      ...rest,
      dlqId: randomUUID(),
      failedAt: this.now().toISOString(),
      ...(record === undefined ? {} : { record: truncate(record) }),
    };
  }
}

function truncate(record: string): string {
  return record.length > DLQ_RECORD_MAX_CHARS
    ? `${record.slice(0, DLQ_RECORD_MAX_CHARS)}…[truncated ${record.length - DLQ_RECORD_MAX_CHARS} chars]`
    : record;
}
