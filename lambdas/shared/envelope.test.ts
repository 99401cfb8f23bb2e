import { describe, expect, it } from 'vitest';
import {
  DeleteEnvelopeSchema,
  EnvelopeSchema,
  recordVersionKey,
  tombstoneMessage,
  wrapInEnvelope,
} from './envelope';

const customer = {
  id: 'cust-000001',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  createdDate: '2024-01-01T00:00:00.000Z',
  updatedAt: '2024-06-01T12:00:00.000Z',
};

describe('wrapInEnvelope', () => {
  it('produces an envelope that passes the schema, with the content hash of the payload', () => {
    const envelope = wrapInEnvelope({
      eventType: 'CUSTOMER',
      payload: customer,
      source: 'crm',
      syncType: 'FULL',
      now: new Date('2024-06-02T00:00:00.000Z'),
    });
    expect(EnvelopeSchema.parse(envelope)).toEqual(envelope);
    expect(envelope.timestamp).toBe('2024-06-02T00:00:00.000Z');
    expect(recordVersionKey(envelope)).toBe(`CUSTOMER#cust-000001#${envelope.contentHash}`);
  });

  it('keys a redelivered version by its generation too, and keeps the generation through the schema', () => {
    const plain = wrapInEnvelope({
      eventType: 'CUSTOMER',
      payload: customer,
      source: 'crm',
      syncType: 'RESYNC',
    });
    const redelivered = { ...plain, generation: '2024-06-03T00:00:00.000Z' };
    expect(EnvelopeSchema.parse(redelivered).generation).toBe(redelivered.generation);
    expect(recordVersionKey(redelivered)).toBe(
      `CUSTOMER#cust-000001#${plain.contentHash}#2024-06-03T00:00:00.000Z`,
    );
    expect(recordVersionKey(redelivered)).not.toBe(recordVersionKey(plain));
    expect(EnvelopeSchema.safeParse({ ...plain, generation: '' }).success).toBe(false);
  });

  it('keys a redelivered delete by its generation too (a tombstone header)', () => {
    const deleted = { id: 'cust-000001', deletedAt: '2024-06-03T00:00:00.000Z' };
    const args = {
      eventType: 'CUSTOMER' as const,
      deleted,
      source: 'crm',
      syncType: 'RESYNC' as const,
    };
    const versionKey = (message: ReturnType<typeof tombstoneMessage>) =>
      recordVersionKey(DeleteEnvelopeSchema.parse({ ...message.headers, id: message.key }));
    const plain = versionKey(tombstoneMessage(args));
    expect(versionKey(tombstoneMessage({ ...args, generation: 'g1' }))).toBe(`${plain}#g1`);
  });

  it('gives every message its own id but the same hash for the same content', () => {
    const a = wrapInEnvelope({
      eventType: 'CUSTOMER',
      payload: customer,
      source: 'crm',
      syncType: 'FULL',
    });
    const b = wrapInEnvelope({
      eventType: 'CUSTOMER',
      payload: customer,
      source: 'crm',
      syncType: 'RESYNC',
    });
    expect(a.messageId).not.toBe(b.messageId);
    expect(a.contentHash).toBe(b.contentHash);
  });
});

describe('EnvelopeSchema', () => {
  const valid = wrapInEnvelope({
    eventType: 'CUSTOMER',
    payload: customer,
    source: 'crm',
    syncType: 'FULL',
  });

  it('rejects a payload that was changed after hashing', () => {
    const tampered = { ...valid, payload: { ...customer, name: 'Someone else' } };
    const result = EnvelopeSchema.safeParse(tampered);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain('contentHash');
  });

  it('rejects a payload that does not match its eventType', () => {
    const result = EnvelopeSchema.safeParse({ ...valid, eventType: 'PRODUCT' });
    expect(result.success).toBe(false);
  });

  it('rejects an invalid e-mail inside a customer', () => {
    const bad = wrapInEnvelope({
      eventType: 'CUSTOMER',
      payload: { ...customer, email: 'not-an-email' },
      source: 'crm',
      syncType: 'FULL',
    });
    expect(EnvelopeSchema.safeParse(bad).success).toBe(false);
  });
});
