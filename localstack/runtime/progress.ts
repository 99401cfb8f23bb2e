import type { S3Client } from '@aws-sdk/client-s3';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Admin } from 'kafkajs';
import type { AnalyticsStats } from '../../lambdas/shared/analytics-payload';
import { AnalyticsStatsSchema } from '../../lambdas/shared/analytics-payload';
import { mergeConsumerGroupId, staging } from '../../lambdas/shared/pipeline';

/** Where the pipeline stands: what Analytics holds and what is still on the way. */
export interface PipelineProgress {
  stats: AnalyticsStats;
  /** Records on the source topics not yet committed by the merge-consumer's groups. */
  consumerLag: number;
  /** Batch objects under `staging/` that flush has not delivered yet. */
  stagedObjects: number;
  /** Messages on the DLQ topic. */
  dlqMessages: number;
}

export async function fetchAnalyticsStats(mockApiUrl: string): Promise<AnalyticsStats> {
  const response = await fetch(new URL('/analytics/stats', mockApiUrl));
  if (!response.ok) throw new Error(`GET /analytics/stats answered ${response.status}`);
  return AnalyticsStatsSchema.parse(await response.json());
}

/**
 * Lag of the merge-consumer's mappings: one per topic, each with its own group
 * (`mergeConsumerGroupId(topic, groupIdPrefix)`), as infra deploys them.
 */
export async function consumerLag(
  admin: Admin,
  groupIdPrefix: string,
  topics: string[],
): Promise<number> {
  let lag = 0;
  for (const topic of topics) {
    const committed = await admin.fetchOffsets({
      groupId: mergeConsumerGroupId(topic, groupIdPrefix),
      topics: [topic],
    });
    const ends = await admin.fetchTopicOffsets(topic);
    const done = committed.find((entry) => entry.topic === topic)?.partitions ?? [];
    for (const end of ends) {
      const offset = Number(done.find((p) => p.partition === end.partition)?.offset ?? '-1');
      // -1: nothing committed yet, everything from the low watermark is still to come.
      const from = offset < 0 ? Number(end.low) : offset;
      lag += Math.max(0, Number(end.high) - from);
    }
  }
  return lag;
}

export async function topicMessageCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + (Number(p.high) - Number(p.low)), 0);
}

export async function stagedObjectCount(s3: S3Client, bucket: string): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: staging.prefixes.staging,
        ContinuationToken: token,
      }),
    );
    count += page.KeyCount ?? 0;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return count;
}

export async function pipelineProgress(args: {
  admin: Admin;
  s3: S3Client;
  mockApiUrl: string;
  /** The merge-consumer's group id prefix: one group per source topic. */
  groupId: string;
  sourceTopics: string[];
  dlqTopic: string;
  bucket: string;
}): Promise<PipelineProgress> {
  const [stats, lag, staged, dlq] = await Promise.all([
    fetchAnalyticsStats(args.mockApiUrl),
    consumerLag(args.admin, args.groupId, args.sourceTopics),
    stagedObjectCount(args.s3, args.bucket),
    topicMessageCount(args.admin, args.dlqTopic),
  ]);
  return { stats, consumerLag: lag, stagedObjects: staged, dlqMessages: dlq };
}

/** Drained: Analytics has every expected record and nothing is left in Kafka or staging. */
export function isDrained(progress: PipelineProgress, expectedRecords: number): boolean {
  return (
    progress.stats.uniqueRecords >= expectedRecords &&
    progress.consumerLag === 0 &&
    progress.stagedObjects === 0
  );
}
