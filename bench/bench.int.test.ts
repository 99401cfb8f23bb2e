import { afterAll, describe, expect, it } from 'vitest';
import { metricNames } from '../lambdas/shared/pipeline';
import { localStack } from '../test/support/local-stack';
import { RequestCollector } from './instrumentation/collector';
import type { BenchPipeline } from './scenarios/bench-pipeline';
import { startBenchPipeline } from './scenarios/bench-pipeline';
import type { FreshLoadResult } from './scenarios/fresh-load';
import { runFreshLoad } from './scenarios/fresh-load';
import { runResync } from './scenarios/resync';

const records = 600;

/**
 * Scenarios 1 and 2 of `npm run bench` on the integration stack with a small N: the point is that
 * the counters see the functions' real requests (non-zero, and consistent with what the servers
 * and the mock saw), not the speed.
 */
describe('bench scenarios 1 and 2 (600 records)', () => {
  const collector = new RequestCollector();
  let pipeline: BenchPipeline | undefined;
  let fresh: FreshLoadResult | undefined;

  afterAll(async () => {
    await pipeline?.stop();
    collector.close();
  });

  it('fresh load: delivers everything and counts every request family', async () => {
    pipeline = await startBenchPipeline({
      endpoints: localStack(),
      collector,
      label: 'bench-int',
      records,
      seed: 7,
      tickMs: 500,
    });
    fresh = await runFreshLoad({
      pipeline,
      endpoints: localStack(),
      records,
      serverPids: {},
      timeoutMs: 120_000,
    });
    expect(fresh.delivery).toMatchObject({ expected: records, lost: 0, duplicated: 0 });
    expect(fresh.recordsPerSecond).toBeGreaterThan(0);

    const { requests } = fresh;
    const { byOperation } = requests;
    // Every record's idempotency claim went through DynamoDB (one item per record at least), in
    // whichever write the claim protocol uses.
    const claimedItems =
      (byOperation['dynamodb.BatchWriteItem.items'] ?? 0) +
      (byOperation['dynamodb.TransactWriteItems.items'] ?? 0) +
      (byOperation['dynamodb.PutItem'] ?? 0);
    expect(claimedItems).toBeGreaterThanOrEqual(records);
    // Request units as DynamoDB Local reported or AWS's rules computed: every new version's claim
    // is written at least once, in at least 1 WRU.
    expect(fresh.dynamodbUnits.wru).toBeGreaterThanOrEqual(records);
    expect(fresh.dynamodbUnits.wruPerRecord).toBeCloseTo(fresh.dynamodbUnits.wru / records, 9);
    // Each process's CPU over the fresh load, and the functions' worker threads'.
    expect(fresh.cpuSecondsPer1000Records.processes.node).toBeGreaterThan(0);
    expect(fresh.cpuSecondsPer1000Records.functions['merge-consumer']).toBeGreaterThan(0);
    expect(byOperation['s3.PutObject']).toBeGreaterThanOrEqual(1);
    // Both sources published (one send per source at least) and the mapping fetched them.
    expect(requests.kafkaProduce).toBeGreaterThanOrEqual(2);
    expect(requests.kafkaFetch).toBeGreaterThan(0);
    expect(requests.sourceGets).toBeGreaterThanOrEqual(2);
    // Flush's POSTs as counted in its worker are the POSTs the mock Analytics answered.
    expect(requests.analyticsPosts).toBe(fresh.analyticsPayloadsAtMock);
    expect(requests.analyticsPosts).toBeGreaterThan(0);
    // The in-worker timings (what Lambda bills) cover every function the local Lambda service ran.
    const hosts = Object.values(pipeline.run.runtime.hosts).filter((host) => host.invocations > 0);
    expect(fresh.lambda.map((usage) => usage.functionName).sort()).toEqual(
      hosts.map((host) => host.functionName).sort(),
    );
    for (const usage of fresh.lambda) {
      expect(usage.invocations, usage.functionName).toBeGreaterThan(0);
      expect(usage.billedMs, usage.functionName).toBeGreaterThan(0);
    }
    // The EMF metrics the handlers print for CloudWatch count every record at every stage.
    const { emf } = pipeline;
    expect(emf.total(metricNames.recordsPublished)).toBeGreaterThanOrEqual(records);
    expect(emf.total(metricNames.recordsStaged)).toBe(records);
    expect(emf.total(metricNames.recordsDelivered)).toBe(records);
    expect(fresh.latencyMs?.count).toBeGreaterThanOrEqual(records);
    expect(fresh.kafka.messages).toBeGreaterThanOrEqual(records);
  });

  it('resync of unchanged data: every record a duplicate, nothing new at Analytics', async () => {
    if (!pipeline || !fresh) throw new Error('the fresh load did not run');
    const resync = await runResync({ pipeline, records, timeoutMs: 120_000 });
    expect(resync.published).toBeGreaterThanOrEqual(records);
    expect(resync.duplicates).toBeGreaterThanOrEqual(records);
    expect(resync.analyticsNewRecords).toBe(0);
    expect(resync.analyticsNewPayloads).toBe(0);
    expect(resync.requests.sourceGets).toBeGreaterThanOrEqual(2);
    expect(resync.requests.kafkaProduce).toBeGreaterThanOrEqual(2);
    expect(resync.requests.dynamodb).toBeGreaterThan(0);
    expect(resync.requests.analyticsPosts).toBe(0);
    // An unchanged record costs DynamoDB something (a read or a refused claim), never nothing.
    expect(resync.dynamodbUnits.wru + resync.dynamodbUnits.rru).toBeGreaterThan(0);
  });
});
