import type { ProducerRecord, RecordMetadata } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { DLQ_RECORD_MAX_CHARS, DlqMessageSchema, DlqPublisher } from './dlq';

describe('DlqPublisher', () => {
  it('sends schema-valid messages keyed by dlqId with acks from all replicas', async () => {
    const send = vi
      .fn<(record: ProducerRecord) => Promise<RecordMetadata[]>>()
      .mockResolvedValue([]);
    const publisher = new DlqPublisher(
      { send },
      'dlq-topic',
      () => new Date('2024-01-01T00:00:00Z'),
    );
    const [message] = await publisher.publish([
      {
        stage: 'merge',
        reason: 'payload.email: Invalid email address',
        attempts: 1,
        origin: { topic: 'customer_data', partition: 2, offset: '42' },
        record: '{"broken":true}',
      },
    ]);
    expect(DlqMessageSchema.parse(message)).toEqual(message);
    expect(send).toHaveBeenCalledTimes(1);
    const call = send.mock.calls[0]![0];
    expect(call.topic).toBe('dlq-topic');
    expect(call.acks).toBe(-1);
    expect(call.messages[0]!.key).toBe(message?.dlqId);
    expect(JSON.parse(String(call.messages[0]!.value))).toEqual(message);
    expect(message?.failedAt).toBe('2024-01-01T00:00:00.000Z');
  });

  it('truncates huge raw records instead of failing the send', async () => {
    const send = vi.fn().mockResolvedValue([]);
    const [message] = await new DlqPublisher({ send }).publish([
      {
        stage: 'poll',
        reason: 'too big',
        attempts: 0,
        origin: {},
        record: 'x'.repeat(DLQ_RECORD_MAX_CHARS + 10),
      },
    ]);
    expect(message?.record?.length).toBeLessThan(DLQ_RECORD_MAX_CHARS + 100);
    expect(message?.record).toMatch(/truncated 10 chars/);
  });

  it('sends nothing for an empty list', async () => {
    const send = vi.fn();
    await expect(new DlqPublisher({ send }).publish([])).resolves.toEqual([]);
    expect(send).not.toHaveBeenCalled();
  });

  it('splits a large publish into sends below the size limit, in order, every message once', async () => {
    const sent: ProducerRecord[] = [];
    const send = vi.fn(async (record: ProducerRecord): Promise<RecordMetadata[]> => {
      sent.push(record);
      return [];
    });
    const limit = 200 * 1024;
    const entries = Array.from({ length: 12 }, (_, index) => ({
      stage: 'merge' as const,
      reason: 'oversized',
      attempts: 1,
      origin: { topic: 'inventory_data', partition: 0, offset: String(index) },
      record: '"'.repeat(DLQ_RECORD_MAX_CHARS),
    }));
    const published = await new DlqPublisher({ send }, 'dlq', undefined, limit).publish(entries);

    expect(sent.length).toBeGreaterThan(1);
    for (const { messages } of sent) {
      const bytes = messages.reduce((sum, m) => sum + Buffer.byteLength(String(m.value)), 0);
      expect(bytes).toBeLessThanOrEqual(limit);
    }
    expect(sent.flatMap(({ messages }) => messages.map((m) => m.key))).toEqual(
      published.map((message) => message.dlqId),
    );
  });

  it('fails the publish when a send fails, so the caller re-delivers', async () => {
    const send = vi.fn().mockResolvedValueOnce([]).mockRejectedValueOnce(new Error('broker down'));
    const entries = Array.from({ length: 4 }, () => ({
      stage: 'merge' as const,
      reason: 'oversized',
      attempts: 1,
      origin: {},
      record: 'x'.repeat(DLQ_RECORD_MAX_CHARS),
    }));
    await expect(
      new DlqPublisher({ send }, 'dlq', undefined, 100 * 1024).publish(entries),
    ).rejects.toThrow('broker down');
  });
});
