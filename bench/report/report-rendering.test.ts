import { describe, expect, it } from 'vitest';
import { table } from '../cli';
import type { BenchResult } from './bench-result';
import { summarize } from './bench-result';
import { awsPrices, estimateCost, pricesReadOn } from './cost';
import { summarizeRequests, requestsPer } from './request-summary';
import { figureRows, requestRows, terminalReport } from './terminal';

function sampleResult(): BenchResult {
  const requests = summarizeRequests(
    {
      'dynamodb.TransactWriteItems': 20,
      'dynamodb.TransactWriteItems.items': 1_000,
      's3.PutObject': 4,
      'kafka.Produce': 4,
      'kafka.Fetch': 30,
      'kafka.Heartbeat': 5,
      'http.POST /analytics/data': 2,
      'http.GET /crm/customers': 2,
      'http.GET /inventory/products': 2,
    },
    12,
  );
  const lambda = [{ functionName: 'flush', invocations: 12, billedMs: 6_000, memoryMb: 1024 }];
  const cost = estimateCost({
    records: 1_000,
    requests: requests.byOperation,
    lambda,
    kafkaBytes: 300_000,
    topicPartitions: 7,
  });
  const scenarios: BenchResult['scenarios'] = {
    freshLoad: {
      records: 1_000,
      delivery: {
        expected: 1_000,
        received: 1_000,
        lost: 0,
        lostSample: [],
        duplicated: 0,
        corrupt: 0,
        deletes: { expected: 0, received: 0 },
      },
      seconds: 4,
      recordsPerSecond: 250,
      firstPollStartedAt: '2026-11-23T00:00:00.000Z',
      lastReceiptAt: '2026-11-23T00:00:04.000Z',
      latencyMs: { count: 1_000, p50: 900, p95: 1_500, p99: 1_900, max: 2_000, mean: 950 },
      latencyUnmatched: 0,
      peakMemory: { benchProcessMiB: 500, serversMiB: { kafka: 300 }, totalMiB: 800 },
      requests,
      requestsPer1000Records: requestsPer(requests, 1_000, 1000),
      analyticsPayloadsAtMock: 2,
      lambda,
      kafka: { messages: 1_000, bytes: 300_000 },
      dynamodbUnits: { wru: 1_050, rru: 1_000, wruPerRecord: 1.05, rruPerRecord: 1 },
      cpuSecondsPer1000Records: {
        processes: { node: 1.5, dynamodb: 0.8 },
        functions: { 'merge-consumer': 0.4 },
      },
    },
    limits: {
      ...level(4, 500),
      items: 1_000,
      itemsPerRequest: 25,
      byConcurrency: [level(1, 300), level(4, 500)],
      claimWritesPerSecond: 500,
    },
  };
  return {
    summary: summarize(scenarios, cost),
    startedAt: '2026-11-23T00:00:00.000Z',
    finishedAt: '2026-11-23T00:01:00.000Z',
    machine: {
      cpus: 2,
      cpuModel: 'test cpu',
      memoryGiB: 8,
      platform: 'linux x64',
      node: 'v20',
      java: 'openjdk 17',
      commit: 'abc123',
      dirty: false,
    },
    options: {
      records: 1_000,
      baselineRecords: 1_000,
      trickleIntervals: 5,
      tickMs: 1_000,
      mergeConcurrency: undefined,
      seed: 42,
      jvm: 'throughput',
      only: ['fresh-load', 'limits'],
      outDir: 'bench/results',
    },
    scenarios,
    cost,
    prices: { readOn: pricesReadOn, list: awsPrices },
    errors: [],
  };
}

function level(concurrency: number, itemsPerSecond: number) {
  return {
    concurrency,
    itemsPerSecond,
    seconds: 2,
    refused: 0,
    dynamodbCpuSecondsPer1000Items: 0.5,
  };
}

describe('summarize', () => {
  it('divides scenario 1 by the claim limit and leaves the baseline ratio null when it did not run', () => {
    const { summary } = sampleResult();
    expect(summary.recordsPerSecond).toBe(250);
    expect(summary.ratioToLimit).toBe(0.5);
    expect(summary.ratioToBaseline).toBeNull();
    expect(summary.lost).toBe(0);
  });
});

describe('request summary', () => {
  it('groups operations into families and leaves item counts out of request counts', () => {
    const { requests } = sampleResult().scenarios.freshLoad!;
    expect(requests).toMatchObject({
      dynamodb: 20,
      s3: 4,
      kafkaProduce: 4,
      kafkaFetch: 30,
      kafkaOther: 5,
      analyticsPosts: 2,
      sourceGets: 4,
      lambdaInvocations: 12,
    });
  });
});

describe('report rendering', () => {
  it('terminal: summary figures and the request table as aligned tables', () => {
    const text = terminalReport(sampleResult(), 'a.json');
    expect(text).toMatch(/\| summary +\| ratioToLimit +\| 0\.50 +\|/);
    expect(text).toMatch(/\| summary +\| ratioToBaseline +\| n\/a +\|/);
    expect(text).toMatch(/\| DynamoDB +\| +20\.0 \| +n\/a \|/);
    expect(text).toMatch(/\| 1 fresh load +\| end-to-end +\| 250 records\/s over 4\.0 s +\|/);
    expect(text).toContain('p50 900 ms · p95 1,500 ms · p99 1,900 ms');
    expect(text).toContain('written: a.json');
    const firstTable = text.split('\n\n')[0]!.split('\n');
    expect(firstTable).toHaveLength(figureRows(sampleResult()).length + 2);
    expect(firstTable.every((line) => line.length === firstTable[0]!.length)).toBe(true);
  });

  it('lists failures as rows', () => {
    const result = sampleResult();
    result.errors.push({ scenario: 'baseline', message: 'boom' });
    expect(figureRows(result)).toContainEqual(['baseline', 'FAILED', 'boom']);
    expect(requestRows(result)).toHaveLength(8);
  });

  it('carries the CPU seconds per 1,000 records by process in the summary', () => {
    expect(sampleResult().summary.cpuSecondsPer1000Records).toEqual({ node: 1.5, dynamodb: 0.8 });
  });
});

describe('table', () => {
  it('pads cells to the widest value, right-aligns where asked and escapes pipes', () => {
    expect(
      table(
        ['h', 'n'],
        [
          ['long', '7'],
          ['x|y', '12'],
        ],
        [false, true],
      ),
    ).toBe(['| h    |   n |', '| ---- | --: |', '| long |   7 |', '| x\\|y |  12 |'].join('\n'));
  });
});
