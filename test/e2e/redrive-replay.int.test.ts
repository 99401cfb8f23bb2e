import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { dlqRedriveGroupId, mergeConsumerMetrics } from '../../lambdas/shared/pipeline';
import type { PipelineProgress } from '../../localstack/start-pipeline';
import { topicMessageCount } from '../../localstack/start-pipeline';
import { localCredentials } from '../../localstack/stack/endpoints';
import { provisionPipelineResources } from '../../localstack/stack/provision';
import { localStack } from '../support/local-stack';
import type { OperatorHarness } from './operator-harness';
import { startOperatorHarness } from './operator-harness';

/**
 * `npm run dlq -- redrive` of the records the event source mapping dead-lettered during an
 * outage, and `npm run replay`, as an operator types them against a running pipeline.
 */

const CUSTOMERS = 300;
const PRODUCTS = 150;
const CHANGED = 10;

let harness: OperatorHarness;

beforeAll(async () => {
  harness = await startOperatorHarness({ customers: CUSTOMERS, products: PRODUCTS, seed: 515 });
  return () => harness.close();
});

interface Answers {
  list: { failedRecords: { position: string; key: string }[] };
  redrive: { result: { records: { republished: string[]; superseded: string[] } } };
  replay: {
    result: { records: number; from: Record<number, string>; to: Record<number, string> };
  };
  resync: unknown;
}

/** The CLI's answer, typed as the test reads it. */
async function npmRun<K extends keyof Answers>(
  _answer: K,
  script: 'resync' | 'dlq' | 'replay',
  args: string[],
) {
  const run = await harness.npmRun(script, args);
  return { ...run, json: run.json as Answers[K] };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** With the schedules stopped: flush by hand until Analytics holds what `accept` wants. */
async function drain(accept: (p: PipelineProgress) => boolean): Promise<PipelineProgress> {
  for (let attempt = 0; attempt < 120; attempt += 1) {
    await harness.runtime.invoke('flush', { action: 'flush' });
    const progress = await harness.progress();
    if (
      accept(progress) &&
      progress.consumerLag === 0 &&
      progress.stagedObjects === 0 &&
      harness.runtime.idle
    )
      return progress;
    await sleep(1_000);
  }
  throw new Error(`not drained: ${JSON.stringify(await harness.progress())}`);
}

const total = (metric: string) => harness.runtime.metrics.totals()[metric]?.sum ?? 0;

describe('merge-stage redrive and replay', () => {
  it(
    'an outage dead-letters valid records; redrive delivers each once; replay re-delivers a range, all deduped',
    { timeout: 600_000 },
    async () => {
      await harness.waitUntilSettled((p) => p.stats.uniqueRecords >= CUSTOMERS + PRODUCTS, 180_000);
      // From here the test runs the functions itself: no scheduled poll re-publishes the records.
      await harness.runtime.scheduler.stop();
      const first = await drain(() => true);
      expect(first.stats.uniqueRecords).toBe(CUSTOMERS + PRODUCTS);

      // Replay the whole customer topic: every record re-delivered, every one a duplicate. (Before
      // the outage below, which loses the dedupe history with the table.)
      const topic = harness.names.customerTopic;
      let duplicates = total(mergeConsumerMetrics.recordsDuplicate);
      let staged = total(mergeConsumerMetrics.recordsStaged);
      const replay = await npmRun('replay', 'replay', ['--topic', topic, '--from', '0']);
      expect(replay.stderr).toBe('');
      expect(replay.json.result.records).toBe(await topicMessageCount(harness.admin, topic));
      await expect
        .poll(() => total(mergeConsumerMetrics.recordsDuplicate) - duplicates)
        .toBe(replay.json.result.records);
      expect(total(mergeConsumerMetrics.recordsStaged)).toBe(staged);
      expect((await drain(() => true)).stats).toEqual(first.stats);

      // Outage: the merge-consumer's DynamoDB table is gone, so every invocation fails; the
      // mapping bisects, retries and gives the records to its on-failure topic.
      const endpoints = localStack();
      const dynamodb = new DynamoDBClient({
        endpoint: endpoints.dynamodbEndpoint,
        region: endpoints.region,
        credentials: localCredentials,
      });
      await dynamodb.send(new DeleteTableCommand({ TableName: harness.names.idempotencyTable }));
      const since = new Date(Date.now() - 1).toISOString();
      const changed = (await harness.mockAdmin('/admin/mutate', 'POST', {
        entity: 'customers',
        count: CHANGED,
      })) as { ids: string[] };
      const resync = await npmRun('resync', 'resync', ['--source', 'crm', '--since', since]);
      expect(resync.json).toMatchObject({ results: { crm: { published: CHANGED } } });
      let listed: Answers['list'] | undefined;
      for (
        let attempt = 0;
        attempt < 120 && (listed?.failedRecords.length ?? 0) < CHANGED;
        attempt += 1
      ) {
        await sleep(1_000);
        listed = (await npmRun('list', 'dlq', ['list'])).json;
      }
      expect(listed?.failedRecords.map((entry) => entry.key).sort()).toEqual(
        [...changed.ids].sort(),
      );
      expect(harness.mappingFailures.onFailureRecords).toBe(CHANGED);

      // Recovery, then the redrive: every record reaches Analytics once.
      await provisionPipelineResources(endpoints, harness.names);
      const redrive = await npmRun('redrive', 'dlq', ['redrive']);
      expect(redrive.code).toBe(0);
      expect(redrive.json.result.records.republished).toHaveLength(CHANGED);
      expect(redrive.json.result.records.superseded).toEqual([]);
      const redriven = await drain(
        (p) => p.stats.uniqueVersions >= first.stats.uniqueVersions + CHANGED,
      );
      expect(redriven.stats).toMatchObject({
        uniqueRecords: CUSTOMERS + PRODUCTS,
        uniqueVersions: first.stats.uniqueVersions + CHANGED,
        duplicateRecords: 0,
        duplicatePayloads: 0,
      });
      // Each of them once: the first delivery and the redriven version, two distinct versions.
      for (const id of changed.ids) {
        const received = (await harness.mockAdmin(
          `/analytics/received?eventType=CUSTOMER&id=${id}`,
          'GET',
        )) as { versions: { contentHash: string }[] };
        const hashes = received.versions.map((version) => version.contentHash);
        expect(hashes, id).toHaveLength(2);
        expect(new Set(hashes).size, id).toBe(2);
      }
      // Remembered: neither listed nor republished again.
      expect((await npmRun('list', 'dlq', ['list'])).json.failedRecords).toEqual([]);
      const again = await npmRun('redrive', 'dlq', ['redrive']);
      expect(again.json.result.records).toEqual({ republished: [], superseded: [] });
      // Rewound (as if the first redrive had died before its commit): each is superseded by its copy.
      const dlq = harness.names.dlqTopic;
      await harness.admin.setOffsets({
        groupId: dlqRedriveGroupId(dlq),
        topic: dlq,
        partitions: [{ partition: 0, offset: '0' }],
      });
      const rewound = await npmRun('redrive', 'dlq', ['redrive']);
      expect(rewound.json.result.records.republished).toEqual([]);
      expect(rewound.json.result.records.superseded).toHaveLength(CHANGED);

      // From a time, on one partition: only that partition's records since then (the originals
      // the mapping gave up on and their redriven copies), all deduped.
      duplicates = total(mergeConsumerMetrics.recordsDuplicate);
      staged = total(mergeConsumerMetrics.recordsStaged);
      const partition = await npmRun('replay', 'replay', [
        '--topic',
        topic,
        '--from',
        since,
        '--partition',
        '0',
      ]);
      const { from, to, records } = partition.json.result;
      expect(records).toBe(Number(to[0]) - Number(from[0]));
      expect([from[1], from[2]]).toEqual([to[1], to[2]]);
      await expect
        .poll(() => total(mergeConsumerMetrics.recordsDuplicate) - duplicates)
        .toBe(records);
      expect(total(mergeConsumerMetrics.recordsStaged)).toBe(staged);
      expect((await drain(() => true)).stats).toEqual(redriven.stats);
    },
  );
});
