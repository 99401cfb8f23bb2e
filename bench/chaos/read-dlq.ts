import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { DlqMessage } from '../../lambdas/shared/dlq-message';
import { DlqMessageSchema } from '../../lambdas/shared/dlq-message';

export interface ReadDlqOptions {
  brokers: string;
  topic: string;
  /** How long to wait for the consumer to reach the end of the topic (default 60 s). */
  timeoutMs?: number;
}

/** A DLQ topic message that is not a DlqMessage is itself a finding, not a reason to stop. */
export type DlqEntry = { ok: true; message: DlqMessage } | { ok: false; offset: string };

/**
 * Every message on a DLQ topic at the time of the call, parsed. A throwaway consumer group reads
 * from the beginning up to the high watermark each partition had when the call started, so the
 * result is a snapshot a scenario can compare with what it injected.
 */
export async function readDlqTopic(options: ReadDlqOptions): Promise<DlqEntry[]> {
  const kafka = new Kafka({
    clientId: `chaos-dlq-reader-${randomUUID().slice(0, 8)}`,
    brokers: options.brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(options.topic);
    ends = new Map(offsets.map((p) => [p.partition, BigInt(p.high)]));
    const total = offsets.reduce((sum, p) => sum + Number(BigInt(p.high) - BigInt(p.low)), 0);
    if (total === 0) return [];
  } finally {
    await admin.disconnect();
  }

  const consumer = kafka.consumer({ groupId: `chaos-dlq-reader-${randomUUID()}` });
  const entries: DlqEntry[] = [];
  const remaining = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`DLQ topic ${options.topic} not read to its end in time`)),
        options.timeoutMs ?? 60_000,
      );
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const high = ends.get(partition) ?? 0n;
          if (BigInt(message.offset) < high)
            entries.push(parseEntry(message.value, message.offset));
          if (BigInt(message.offset) >= high - 1n) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await done;
  } finally {
    await consumer.disconnect();
  }
  return entries;
}

function parseEntry(value: Buffer | null, offset: string): DlqEntry {
  try {
    const parsed = DlqMessageSchema.safeParse(JSON.parse(value?.toString('utf8') ?? 'null'));
    return parsed.success ? { ok: true, message: parsed.data } : { ok: false, offset };
  } catch {
    return { ok: false, offset };
  }
}
