import { describe, expect, it } from 'vitest';
import type { PerRecordCosts } from './plan';
import { capacityPlan, quotas } from './plan';

// Hand-worked: 10,000 records/s, 1 KiB per message, 1 WRU + 1 RRU per record, merge-consumer
// 1 ms per record (invocations of 500 records × 500 ms), flush 0.2 ms per record.
const costs: PerRecordCosts = {
  source: 'worked example',
  wru: 1,
  rru: 1,
  s3PutTier: 0.002,
  s3GetTier: 0.001,
  kafkaBytes: 1024,
  analyticsPosts: 0.0002,
  lambda: {
    'merge-consumer': { invocations: 0.002, meanMs: 500 },
    flush: { invocations: 0.0001, meanMs: 2_000 },
    'poll-crm': { invocations: 0.00001, meanMs: 1_000 },
  },
  usdPerMillionRecords: 1,
};
const plan = capacityPlan(10_000, costs);
const line = (item: string) => {
  const found = plan.lines.find((l) => l.item.startsWith(item));
  if (!found) throw new Error(`no line ${item}`);
  return found;
};

describe('capacityPlan: a worked example at 10,000 records/s', () => {
  it('Lambda concurrency by Little’s law: rate × invocations per record × mean duration', () => {
    expect(line('Lambda concurrency, merge-consumer').need).toBeCloseTo(10); // 10,000 × 0.002 × 0.5 s
    expect(line('Lambda concurrency, flush').need).toBeCloseTo(2);
    expect(line('Lambda concurrency, all functions').need).toBeCloseTo(12.1);
    expect(line('Lambda concurrency, all functions').utilization).toBeCloseTo(12.1 / 1_000);
  });

  it('partitions: one merge-consumer batch per partition, over two source topics, plus the DLQ', () => {
    // 10,240,000 B/s needs 2 partitions for ingress (5 MiB/s each), merge concurrency needs 10.
    expect(line('Kafka partitions per source topic').need).toBe(5);
    expect(line('MSK Serverless partitions').need).toBe(11);
    expect(plan.monthly.partitions).toBe(11);
    // 120 partitions: 59 per topic (2 × 59 + 1 DLQ = 119), so 118 batches in flight, 118,000 records/s.
    expect(line('MSK Serverless partitions').limitRecordsPerSecond).toBeCloseTo(118_000, 0);
    // 9.77 MiB/s needs 2 pollers of 5 MiB/s; 10 invocations need 2 pollers of 5 each.
    expect(line('ESM provisioned pollers').need).toBe(2);
  });

  it('DynamoDB, S3 and MSK rates against their quotas, and the rate each quota is reached at', () => {
    const wru = line('DynamoDB write');
    expect(wru.need).toBe(10_000);
    expect(wru.utilization).toBeCloseTo(0.25);
    expect(wru.limitRecordsPerSecond).toBeCloseTo(quotas.dynamodbTableWruPerSecond.value);
    expect(line('S3 PUT').need).toBeCloseTo(20);
    expect(line('MSK Serverless ingress').need).toBeCloseTo(9.765625);
    expect(line('Analytics POSTs').need).toBeCloseTo(2);
  });

  it('names the quota reached at the lowest rate: flush, busy 2 s per s, so at 5,000 records/s', () => {
    expect(plan.firstLimit.item).toMatch(/^flush/);
    expect(plan.firstLimit.limitRecordsPerSecond).toBeCloseTo(5_000);
    expect(plan.firstLimit.knob).toMatch(/shard flush/);
  });

  it('monthly cost: records per 730-hour month × price per million, plus cluster and partition hours', () => {
    expect(plan.monthly.perRecordUsd).toBeCloseTo(26_280); // 10,000 × 2,628,000 s ÷ 1e6 × $1
    expect(plan.monthly.fixedUsd).toBeCloseTo(730 * (0.75 + 11 * 0.0015));
    expect(plan.monthly.totalUsd).toBeCloseTo(26_280 + 559.545);
  });
});
