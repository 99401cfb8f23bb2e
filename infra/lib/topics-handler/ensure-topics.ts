import type { Admin } from 'kafkajs';
// CommonJS whose enums Node's ESM loader sees no named export of (provision.ts runs this under tsx).
import kafkajs from 'kafkajs';
import { z } from 'zod';

const { ConfigResourceTypes } = kafkajs;

/** One topic as the custom resource declares it (CloudFormation passes strings: coerced). */
export const TopicSpecSchema = z.object({
  name: z.string().min(1),
  partitions: z.coerce.number().int().positive(),
  retentionMs: z.coerce.number().int().positive(),
});
export type TopicSpec = z.output<typeof TopicSpecSchema>;

export type TopicAdmin = Pick<
  Admin,
  'listTopics' | 'createTopics' | 'fetchTopicMetadata' | 'createPartitions' | 'alterConfigs'
>;

/** Each spec as createTopics and alterConfigs both take it: its own fields plus its retention. */
const withRetention = <T>(specs: readonly TopicSpec[], fields: (spec: TopicSpec) => T) =>
  specs.map((spec) => ({
    ...fields(spec),
    configEntries: [{ name: 'retention.ms', value: String(spec.retentionMs) }],
  }));

/**
 * Makes the cluster match the specs: creates missing topics, adds partitions where there are
 * fewer than declared (Kafka cannot remove partitions, so more is left alone) and sets the
 * retention. Safe to repeat: a second run finds everything in place and only re-applies retention.
 */
export async function ensureTopics(
  admin: TopicAdmin,
  specs: readonly TopicSpec[],
): Promise<{ created: string[]; updated: string[] }> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.name));
  const present = specs.filter((spec) => existing.has(spec.name));

  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: withRetention(missing, (spec) => ({
        topic: spec.name,
        numPartitions: spec.partitions,
      })),
    });
  }

  if (present.length > 0) {
    const metadata = await admin.fetchTopicMetadata({ topics: present.map((spec) => spec.name) });
    const partitionCount = new Map(
      metadata.topics.map((topic) => [topic.name, topic.partitions.length]),
    );
    const needMorePartitions = present.filter(
      (spec) => (partitionCount.get(spec.name) ?? 0) < spec.partitions,
    );
    if (needMorePartitions.length > 0) {
      await admin.createPartitions({
        topicPartitions: needMorePartitions.map((spec) => ({
          topic: spec.name,
          count: spec.partitions,
        })),
      });
    }
    await admin.alterConfigs({
      validateOnly: false,
      resources: withRetention(present, ({ name }) => ({ type: ConfigResourceTypes.TOPIC, name })),
    });
  }

  return { created: missing.map((spec) => spec.name), updated: present.map((spec) => spec.name) };
}
