import { describe, expect, it } from 'vitest';
import { MAX_RECORD_VALUE_BYTES, parseMskEvent } from '../../../lambdas/merge-consumer/msk-event';
import type { DlqMessage } from '../../../lambdas/shared/dlq';
import { buildMskEvent } from '../../../localstack/runtime/msk-event';
import type { DlqEntry } from '../drive';
import {
  buildPoison,
  checkPoisonOnDlq,
  OVERSIZED_VALUE_BYTES,
  poisonCount,
  poisonKinds,
} from './poison';

/** The event the local mapping would deliver for these poison messages, as the consumer sees it. */
function eventFor(values: { key: string; value: string }[]) {
  return buildMskEvent(
    values.map(({ key, value }, offset) => ({
      topic: 'customer_data-chaos',
      partition: 0,
      offset: BigInt(offset),
      receivedAt: 0,
      message: {
        key: Buffer.from(key),
        value: Buffer.from(value),
        timestamp: '1700000000000',
        attributes: 0,
        offset: String(offset),
        headers: {},
      },
    })),
    { eventSourceArn: 'arn:aws:kafka:us-east-1:1:cluster/x/y', bootstrapServers: 'b:9092' },
  );
}

describe('poison messages', () => {
  it('cycles through every kind, alternating customer and product topics', () => {
    const built = Array.from({ length: 6 }, (_, serial) => buildPoison(serial));
    expect(built.map((poison) => poison.kind)).toEqual([...poisonKinds, ...poisonKinds]);
    expect(built.map((poison) => poison.entity)).toEqual([
      'CUSTOMER',
      'PRODUCT',
      'CUSTOMER',
      'PRODUCT',
      'CUSTOMER',
      'PRODUCT',
    ]);
    expect(new Set(built.map((poison) => poison.key)).size).toBe(6);
  });

  it('the oversized one is a valid envelope between the consumer limit and the broker limit', () => {
    const oversized = buildPoison(2);
    expect(oversized.kind).toBe('oversized');
    const bytes = Buffer.byteLength(oversized.value);
    expect(bytes).toBe(OVERSIZED_VALUE_BYTES);
    expect(bytes).toBeGreaterThan(MAX_RECORD_VALUE_BYTES);
    // Kafka's default message.max.bytes is 1,048,588 (1 MiB + record batch overhead).
    expect(bytes).toBeLessThan(1_048_576 - 1_024);
    const { attachment, ...envelope } = JSON.parse(oversized.value) as Record<string, unknown>;
    expect(typeof attachment).toBe('string');
    // Without the blob, the merge-consumer would accept it: only the size check stands in the way.
    const parsed = parseMskEvent(
      eventFor([{ key: oversized.key, value: JSON.stringify(envelope) }]),
    );
    expect(parsed.invalid).toEqual([]);
    expect(parsed.valid).toHaveLength(1);
  });

  it('the merge-consumer rejects each kind with the reason the scenario expects', () => {
    const poison = poisonKinds.map((_, serial) => buildPoison(serial));
    const parsed = parseMskEvent(eventFor(poison));
    expect(parsed.valid).toEqual([]);
    expect(parsed.invalid).toHaveLength(poison.length);
    parsed.invalid.forEach((invalid, index) => {
      expect(invalid.reason).toMatch(poison[index]!.expectedReason);
    });
  });

  it('is 1 % of the records, and at least one of each kind', () => {
    expect(poisonCount(20_000)).toBe(200);
    expect(poisonCount(1_500)).toBe(15);
    expect(poisonCount(10)).toBe(3);
  });
});

describe('checkPoisonOnDlq', () => {
  const injected = [0, 1, 2].map((serial) => ({
    ...buildPoison(serial),
    topic: serial % 2 === 0 ? 'customers' : 'products',
    partition: 1,
    offset: String(10 + serial),
  }));
  const dlq = (
    topic: string,
    offset: string,
    reason: string,
    stage: DlqMessage['stage'] = 'merge',
  ): DlqEntry => ({
    ok: true,
    message: {
      dlqId: `d-${topic}-${offset}-${reason.length}`,
      stage,
      reason,
      attempts: 1,
      failedAt: '2026-01-01T00:00:00.000Z',
      origin: { topic, partition: 1, offset },
    },
  });
  const exact = [
    dlq('customers', '10', 'value is not JSON'),
    dlq('products', '11', 'invalid envelope: ✖ Invalid input'),
    dlq('customers', '12', `value larger than ${MAX_RECORD_VALUE_BYTES} bytes`),
  ];
  const nothingAtAnalytics = () => false;

  it('passes when each poison is on the DLQ once with its reason', () => {
    expect(checkPoisonOnDlq(injected, exact, nothingAtAnalytics)).toEqual([]);
  });

  it('reports a missing, a doubled, a mislabelled and a stray DLQ message', () => {
    const failed = checkPoisonOnDlq(
      injected,
      [
        exact[1]!,
        exact[1]!,
        dlq('customers', '12', 'value is not JSON'),
        dlq('customers', '99', 'value is not JSON'),
        dlq('customers', '5', 'schema validation failed', 'poll'),
        { ok: false, offset: '7' },
      ],
      nothingAtAnalytics,
    );
    expect(failed).toEqual([
      'unexpected poll DLQ message: schema validation failed',
      'DLQ message at offset 7 is not a DLQ message',
      'malformed-json poison cust-poison-000000 has 0 DLQ messages',
      'schema-invalid poison prod-poison-000001 has 2 DLQ messages',
      'oversized poison cust-poison-000002 dead-lettered as "value is not JSON"',
      '1 DLQ messages for customers/1@99, which is no injected poison',
    ]);
  });

  it('reports poison that reached Analytics', () => {
    expect(checkPoisonOnDlq(injected, exact, (poison) => poison.kind === 'oversized')).toEqual([
      'Analytics received poison cust-poison-000002',
    ]);
  });
});
