import { describe, expect, it, vi } from 'vitest';
import { DlqPublisher } from './dlq';
import { DLQ_RECORD_MAX_CHARS, DlqMessageSchema } from './dlq-message';

describe('DlqPublisher', () => {
  it('sends schema-valid messages keyed by dlqId with acks from all replicas', async () => {
    const send = vi.fn().mockResolvedValue([]);
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
    const call = send.mock.calls[0]?.[0];
    expect(call.topic).toBe('dlq-topic');
    expect(call.acks).toBe(-1);
    expect(call.messages[0].key).toBe(message?.dlqId);
    expect(JSON.parse(call.messages[0].value)).toEqual(message);
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
});
