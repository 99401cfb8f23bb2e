import type { Producer } from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import type { PipelineRun } from '../../harness/pipeline-run';
import type { TimedFault } from '../drive';
import { driveChaosPipeline } from '../drive';
import { paceSources } from '../faults/source-pacing';
import type { DlqEntry } from '../read-dlq';
import { readDlqTopic } from '../read-dlq';
import type { ChaosContext, ChaosScenario, ScenarioOutcome } from '../scenario';
import type { PoisonMessage } from './poison-messages';
import { buildPoison, poisonCount, poisonKinds } from './poison-messages';

/** A poison message as written: where it landed is how its DLQ message is found again. */
interface InjectedPoison extends PoisonMessage {
  topic: string;
  partition: number;
  offset: string;
}

/** Mixed into the real stream at three points of the run, a third each time. */
const injectionPoints = [0.05, 0.35, 0.65];

const positionOf = (topic: string, partition: number, offset: string): string =>
  `${topic}/${partition}@${offset}`;

/** Writes poison straight to the source topics, as a buggy or hostile producer would. */
class PoisonWriter {
  readonly injected: InjectedPoison[] = [];
  private producer: Producer | undefined;
  private serial = 0;

  constructor(private readonly brokers: string) {}

  async write(run: PipelineRun, count: number): Promise<string> {
    this.producer ??= new Kafka({
      clientId: 'chaos-poison-writer',
      brokers: this.brokers.split(','),
      logLevel: logLevel.NOTHING,
    }).producer();
    await this.producer.connect();
    // One message per send: the answer then names the exact offset of each poison message.
    for (let i = 0; i < count; i++) {
      const poison = buildPoison(this.serial++);
      const topic = poison.entity === 'CUSTOMER' ? run.names.customerTopic : run.names.productTopic;
      const [written] = await this.producer.send({
        topic,
        acks: -1,
        messages: [{ key: poison.key, value: poison.value }],
      });
      if (!written?.baseOffset) throw new Error(`no offset for poison written to ${topic}`);
      this.injected.push({
        ...poison,
        topic,
        partition: written.partition,
        offset: written.baseOffset,
      });
    }
    return `${count} poison messages written to the source topics`;
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
  }
}

function injectionFaults(writer: PoisonWriter, total: number): TimedFault[] {
  return injectionPoints.map((atDeliveredFraction, index) => {
    const share =
      Math.floor((total * (index + 1)) / injectionPoints.length) -
      Math.floor((total * index) / injectionPoints.length);
    return {
      atDeliveredFraction,
      inject: async (run) =>
        `${await writer.write(run, share)} at ${Math.round(atDeliveredFraction * 100)} % delivered`,
    };
  });
}

/**
 * Each poison message must be on the DLQ exactly once, from the merge stage, at its own position,
 * with the reason its kind calls for; nothing else may be there; and Analytics must hold none of
 * the poison ids (the oversized one is otherwise valid).
 */
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
  async run(context: ChaosContext): Promise<ScenarioOutcome> {
    const writer = new PoisonWriter(context.stack.endpoints.kafkaBrokers);
    const total = poisonCount(context.records);
    // Paced, so the full sync streams for a while and the poison lands between real records
    // instead of after them.
    const pacing = paceSources(context.records, { minSyncSeconds: 10 });
    try {
      const outcome = await driveChaosPipeline(context, {
        label: 'poison',
        pipeline: { extraEnv: pacing.pollerEnv },
        beforeStart: (run) => run.mock.state.setFaults(pacing.faults),
        faults: injectionFaults(writer, total),
        injectedPoison: () => writer.injected.length,
        inspect: async (run) => {
          const entries = await readDlqTopic({
            brokers: context.stack.endpoints.kafkaBrokers,
            topic: run.names.dlqTopic,
          });
          const failed = checkPoisonOnDlq(
            writer.injected,
            entries,
            (poison) => run.mock.state.analytics.getRecord(poison.entity, poison.key) !== undefined,
          );
          if (writer.injected.length !== total)
            failed.push(`${writer.injected.length} of ${total} poison messages were written`);
          return failed;
        },
      });
      return { ...outcome, notes: [...(outcome.notes ?? []), pacing.description] };
    } finally {
      await writer.close();
    }
  },
};
