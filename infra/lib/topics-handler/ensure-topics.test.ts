import type { ITopicMetadata } from 'kafkajs';
import { ConfigResourceTypes } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import type { TopicAdmin } from './ensure-topics';
import { ensureTopics, TopicSpecSchema } from './ensure-topics';

function fakeAdmin(existing: Record<string, number>) {
  const admin = {
    listTopics: vi.fn(async () => Object.keys(existing)),
    createTopics: vi.fn(async () => true),
    fetchTopicMetadata: vi.fn(async ({ topics }: { topics: string[] }) => ({
      topics: topics.map((name): ITopicMetadata => ({
        name,
        partitions: Array.from({ length: existing[name] ?? 0 }, (_, partitionId) => ({
          partitionId,
          leader: 1,
          replicas: [1],
          isr: [1],
          partitionErrorCode: 0,
          offlineReplicas: [],
        })),
      })),
    })),
    createPartitions: vi.fn(async () => true),
    alterConfigs: vi.fn(async () => ({ resources: [], throttleTime: 0 })),
  };
  return admin as typeof admin & TopicAdmin;
}

const specs = [
  { name: 'customer_data', partitions: 3, retentionMs: 604_800_000 },
  { name: 'analytics_dlq', partitions: 1, retentionMs: 1_209_600_000 },
];

describe('ensureTopics', () => {
  it('creates missing topics with their partitions and retention', async () => {
    const admin = fakeAdmin({});
    await expect(ensureTopics(admin, specs)).resolves.toEqual({
      created: ['customer_data', 'analytics_dlq'],
      updated: [],
    });
    expect(admin.createTopics).toHaveBeenCalledWith({
      waitForLeaders: true,
      topics: [
        {
          topic: 'customer_data',
          numPartitions: 3,
          configEntries: [{ name: 'retention.ms', value: '604800000' }],
        },
        {
          topic: 'analytics_dlq',
          numPartitions: 1,
          configEntries: [{ name: 'retention.ms', value: '1209600000' }],
        },
      ],
    });
    expect(admin.alterConfigs).not.toHaveBeenCalled();
  });

  it('adds partitions to a topic that has fewer, never removes any, and re-applies retention', async () => {
    const admin = fakeAdmin({ customer_data: 1, analytics_dlq: 4 });
    await expect(ensureTopics(admin, specs)).resolves.toEqual({
      created: [],
      updated: ['customer_data', 'analytics_dlq'],
    });
    expect(admin.createTopics).not.toHaveBeenCalled();
    expect(admin.createPartitions).toHaveBeenCalledWith({
      topicPartitions: [{ topic: 'customer_data', count: 3 }],
    });
    expect(admin.alterConfigs).toHaveBeenCalledWith({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: 'customer_data',
          configEntries: [{ name: 'retention.ms', value: '604800000' }],
        },
        {
          type: ConfigResourceTypes.TOPIC,
          name: 'analytics_dlq',
          configEntries: [{ name: 'retention.ms', value: '1209600000' }],
        },
      ],
    });
  });

  it('parses CloudFormation string properties and rejects nonsense', () => {
    expect(TopicSpecSchema.parse({ name: 't', partitions: '3', retentionMs: '1000' })).toEqual({
      name: 't',
      partitions: 3,
      retentionMs: 1000,
    });
    expect(() => TopicSpecSchema.parse({ name: 't', partitions: '0', retentionMs: '1' })).toThrow();
  });
});
