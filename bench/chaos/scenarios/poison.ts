import type { Producer } from 'kafkajs';
import { MAX_RECORD_VALUE_BYTES } from '../../../lambdas/merge-consumer/msk-event';
import { contentHash } from '../../../lambdas/shared/content-hash';
import type { EventType } from '../../../lambdas/shared/pipeline';
import type { PipelineRun } from '../../../localstack/start-pipeline';
import { benchKafka } from '../../limits/kafka';
import type { ChaosScenario, DlqEntry, TimedFault } from '../drive';
import { driveChaosPipeline, readDlq } from '../drive';

/** Each kind keyed like a real record (key = payload id), so only its value makes it poison. */
export const poisonKinds = ['malformed-json', 'schema-invalid', 'oversized'] as const;

/** Over the consumer's record limit and under the broker's `message.max.bytes` (1 MiB + 12 B). */
export const OVERSIZED_VALUE_BYTES = 768 * 1024;

/** What the merge-consumer's DLQ reason must say for each kind. */
const expectedReasons: Record<(typeof poisonKinds)[number], RegExp> = {
  'malformed-json': /^value is not JSON$/,
  'schema-invalid': /^invalid envelope: /,
  oversized: new RegExp(`^value larger than ${MAX_RECORD_VALUE_BYTES} bytes$`),
};

/**
 * Kinds cycle, even serials go to the customer topic. Ids like `cust-poison-000007` are never the
 * source's, so Analytics holding one would be a finding.
 */
export function buildPoison(serial: number, now: Date = new Date()) {
  const kind = poisonKinds[serial % poisonKinds.length] ?? poisonKinds[0];
  const entity: EventType = serial % 2 === 0 ? 'CUSTOMER' : 'PRODUCT';
  const key = `${entity === 'CUSTOMER' ? 'cust' : 'prod'}-poison-${String(serial).padStart(6, '0')}`;
  const stamp = now.toISOString();
  const payload: Record<string, unknown> =
    entity === 'CUSTOMER'
      ? {
          id: key,
          name: 'Poison Pill',
          email: `${key}@example.com`,
          createdDate: stamp,
          updatedAt: stamp,
        }
      : {
          id: key,
          productName: 'Poison Pill',
          sku: `SKU-${key}`,
          stockQuantity: 1,
          updatedAt: stamp,
        };
  const envelopeOf = (body: Record<string, unknown>) => ({
    messageId: `poison-${key}`,
    eventType: entity,
    source: entity === 'CUSTOMER' ? 'crm' : 'inventory',
    syncType: 'INCREMENTAL',
    timestamp: stamp,
    contentHash: contentHash(body),
    payload: body,
  });
  const envelope = envelopeOf(payload);
  let value: string;
  if (kind === 'malformed-json') {
    // A producer that died mid-write: the JSON stops halfway.
    value = JSON.stringify(envelope).slice(0, 60);
  } else if (kind === 'schema-invalid') {
    // Well-formed, the hash matches, the payload breaks the record schema.
    const broken = entity === 'CUSTOMER' ? { email: 'not-an-email' } : { stockQuantity: -5 };
    value = JSON.stringify(envelopeOf({ ...payload, ...broken }));
  } else {
    // A VALID envelope plus a blob the schema strips: only a size check stops it.
    const skeleton = JSON.stringify({ ...envelope, attachment: '' });
    value = JSON.stringify({
      ...envelope,
      attachment: 'x'.repeat(OVERSIZED_VALUE_BYTES - skeleton.length),
    });
  }
  return { kind, entity, key, value, expectedReason: expectedReasons[kind] };
}

/** How much poison 1 % of `records` is: at least one of each kind. */
export function poisonCount(records: number): number {
  return Math.max(poisonKinds.length, Math.round(records * 0.01));
}

/** A poison message as written: where it landed is how its DLQ message is found again. */
export interface InjectedPoison extends ReturnType<typeof buildPoison> {
  topic: string;
  partition: number;
  offset: string;
}

const positionOf = (topic: string, partition: number, offset: string): string =>
  `${topic}/${partition}@${offset}`;

/** Each poison on the DLQ once, from the merge stage, at its position, with its reason; none at Analytics. */
export function checkPoisonOnDlq(
  injected: readonly InjectedPoison[],
  entries: readonly DlqEntry[],
  receivedByAnalytics: (poison: InjectedPoison) => boolean,
): string[] {
  const failed: string[] = [];
  const byPosition = new Map<string, string[]>();
  for (const entry of entries) {
    if (!entry.ok) {
      failed.push(`DLQ message at offset ${entry.offset} is not a DLQ message`);
      continue;
    }
    const { stage, origin, reason } = entry.message;
    if (stage !== 'merge' || origin.topic === undefined || origin.partition === undefined) {
      failed.push(`unexpected ${stage} DLQ message: ${reason.slice(0, 120)}`);
      continue;
    }
    const position = positionOf(origin.topic, origin.partition, origin.offset ?? '?');
    byPosition.set(position, [...(byPosition.get(position) ?? []), reason]);
  }
  for (const poison of injected) {
    const position = positionOf(poison.topic, poison.partition, poison.offset);
    const reasons = byPosition.get(position) ?? [];
    byPosition.delete(position);
    if (reasons.length !== 1) {
      failed.push(`${poison.kind} poison ${poison.key} has ${reasons.length} DLQ messages`);
    } else if (!poison.expectedReason.test(reasons[0] ?? '')) {
      failed.push(
        `${poison.kind} poison ${poison.key} dead-lettered as "${(reasons[0] ?? '').slice(0, 120)}"`,
      );
    }
    if (receivedByAnalytics(poison)) failed.push(`Analytics received poison ${poison.key}`);
  }
  for (const [position, reasons] of byPosition)
    failed.push(`${reasons.length} DLQ messages for ${position}, which is no injected poison`);
  return failed;
}

export const poisonScenario: ChaosScenario = {
  name: 'poison',
  fault: `1 % poison written straight to the source topics mid-run: ${poisonKinds.join(', ')} (768 KiB, a valid envelope)`,
  async run(context) {
    const brokers = context.stack.endpoints.kafkaBrokers;
    const total = poisonCount(context.records);
    const injected: InjectedPoison[] = [];
    let producer: Producer | undefined;
    /** Writes poison straight to the source topics, one message per send (its answer names the offset). */
    const write = async (run: PipelineRun, count: number): Promise<void> => {
      producer ??= benchKafka(brokers, 'chaos-poison-writer').producer();
      await producer.connect();
      for (let i = 0; i < count; i++) {
        const poison = buildPoison(injected.length);
        const topic =
          poison.entity === 'CUSTOMER' ? run.names.customerTopic : run.names.productTopic;
        const messages = [{ key: poison.key, value: poison.value }];
        const [written] = await producer.send({ topic, acks: -1, messages });
        if (!written?.baseOffset) throw new Error(`no offset for poison written to ${topic}`);
        const { partition, baseOffset: offset } = written;
        injected.push({ ...poison, topic, partition, offset });
      }
    };
    // Mixed into the real stream at three points of the run, a third each time; paced sources, so
    // the full sync streams for a while and the poison lands between real records.
    const points = [0.05, 0.35, 0.65];
    const faults: TimedFault[] = points.map((atDeliveredFraction, index) => {
      const share = Math.floor((total * (index + 1)) / 3) - Math.floor((total * index) / 3);
      return {
        atDeliveredFraction,
        inject: async (run) => {
          await write(run, share);
          return `${share} poison messages written to the source topics at ${Math.round(atDeliveredFraction * 100)} % delivered`;
        },
      };
    });
    try {
      const outcome = await driveChaosPipeline(context, {
        label: 'poison',
        paceSeconds: 10,
        faults,
        inspect: async (run) => {
          const atAnalytics = (poison: InjectedPoison) =>
            run.mock.state.analytics.getRecord(poison.entity, poison.key) !== undefined;
          const failed = checkPoisonOnDlq(injected, await readDlq(run, brokers), atAnalytics);
          if (injected.length !== total)
            failed.push(`${injected.length} of ${total} poison messages were written`);
          return failed;
        },
      });
      return { ...outcome, injectedPoison: outcome.injectedPoison + injected.length };
    } finally {
      await producer?.disconnect();
    }
  },
};
