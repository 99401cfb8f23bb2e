import { contentHash } from '../../../lambdas/shared/content-hash';
import { MAX_RECORD_VALUE_BYTES } from '../../../lambdas/merge-consumer/msk-event';

/**
 * The poison the `poison` scenario mixes into the source topics, one kind after another. Each is
 * keyed like a real record (key = payload id), so only its value makes it poison.
 */
export const poisonKinds = ['malformed-json', 'schema-invalid', 'oversized'] as const;
export type PoisonKind = (typeof poisonKinds)[number];

export type PoisonEntity = 'CUSTOMER' | 'PRODUCT';

export interface PoisonMessage {
  kind: PoisonKind;
  entity: PoisonEntity;
  key: string;
  value: string;
  /** What the merge-consumer's DLQ reason must say for this kind. */
  expectedReason: RegExp;
}

/**
 * Well over the merge-consumer's record limit and still under the broker's default
 * `message.max.bytes` (1 MiB + 12 bytes): the broker accepts it, so only the consumer can stop it.
 */
export const OVERSIZED_VALUE_BYTES = 768 * 1024;

const expectedReasons: Record<PoisonKind, RegExp> = {
  'malformed-json': /^value is not JSON$/,
  'schema-invalid': /^invalid envelope: /,
  oversized: new RegExp(`^value larger than ${MAX_RECORD_VALUE_BYTES} bytes$`),
};

/** `cust-poison-000007`: never an id of the source, so Analytics holding it would be a finding. */
export function poisonId(entity: PoisonEntity, serial: number): string {
  return `${entity === 'CUSTOMER' ? 'cust' : 'prod'}-poison-${String(serial).padStart(6, '0')}`;
}

function validPayload(entity: PoisonEntity, id: string, now: Date): Record<string, unknown> {
  const stamp = now.toISOString();
  return entity === 'CUSTOMER'
    ? { id, name: 'Poison Pill', email: `${id}@example.com`, createdDate: stamp, updatedAt: stamp }
    : { id, productName: 'Poison Pill', sku: `SKU-${id}`, stockQuantity: 1, updatedAt: stamp };
}

function envelopeOf(entity: PoisonEntity, payload: Record<string, unknown>, now: Date): object {
  return {
    messageId: `poison-${String(payload.id)}`,
    eventType: entity,
    source: entity === 'CUSTOMER' ? 'crm' : 'inventory',
    syncType: 'INCREMENTAL',
    timestamp: now.toISOString(),
    contentHash: contentHash(payload),
    payload,
  };
}

/**
 * One poison message. `serial` numbers the poison of a run (ids and kinds follow from it);
 * even serials go to the customer topic, odd ones to the product topic.
 */
export function buildPoison(serial: number, now: Date = new Date()): PoisonMessage {
  const kind = poisonKinds[serial % poisonKinds.length] as PoisonKind;
  const entity: PoisonEntity = serial % 2 === 0 ? 'CUSTOMER' : 'PRODUCT';
  const key = poisonId(entity, serial);
  const payload = validPayload(entity, key, now);
  let value: string;
  switch (kind) {
    case 'malformed-json':
      // A producer that died mid-write: the JSON stops halfway.
      value = JSON.stringify(envelopeOf(entity, payload, now)).slice(0, 60);
      break;
    case 'schema-invalid': {
      // Well-formed JSON whose payload breaks the record schema (the hash matches, so only the
      // schema can catch it).
      const broken =
        entity === 'CUSTOMER'
          ? { ...payload, email: 'not-an-email' }
          : { ...payload, stockQuantity: -5 };
      value = JSON.stringify(envelopeOf(entity, broken, now));
      break;
    }
    case 'oversized': {
      // A VALID envelope plus a blob: the schema strips unknown keys, so only a size check stops
      // it from bloating every staged batch and Analytics payload it would travel in.
      const envelope = envelopeOf(entity, payload, now);
      const skeleton = JSON.stringify({ ...envelope, attachment: '' });
      value = JSON.stringify({
        ...envelope,
        attachment: 'x'.repeat(OVERSIZED_VALUE_BYTES - skeleton.length),
      });
      break;
    }
  }
  return { kind, entity, key, value, expectedReason: expectedReasons[kind] };
}

/** How much poison 1 % of `records` is: at least one of each kind. */
export function poisonCount(records: number): number {
  return Math.max(poisonKinds.length, Math.round(records * 0.01));
}
