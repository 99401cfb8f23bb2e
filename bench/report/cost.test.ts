import { describe, expect, it } from 'vitest';
import { awsPrices, estimateCost } from './cost';

const lineOf = (estimate: ReturnType<typeof estimateCost>, item: string) => {
  const line = estimate.lines.find((candidate) => candidate.item === item);
  if (!line) throw new Error(`no line ${item}`);
  return line;
};

describe('estimateCost', () => {
  const estimate = estimateCost({
    records: 1_000,
    requests: {
      'dynamodb.PutItem': 10,
      'dynamodb.PutItem.wru': 10,
      'dynamodb.TransactWriteItems': 2,
      'dynamodb.TransactWriteItems.items': 200,
      'dynamodb.TransactWriteItems.wru': 400,
      'dynamodb.GetItem': 5,
      'dynamodb.GetItem.rru': 5,
      'dynamodb.DescribeTable': 3,
      's3.PutObject': 4,
      's3.ListObjectsV2': 6,
      's3.GetObject': 7,
      's3.DeleteObject': 9,
      'kafka.Produce': 2,
    },
    lambda: [
      { functionName: 'merge-consumer', invocations: 4, billedMs: 2_000, memoryMb: 1024 },
      { functionName: 'poll-crm', invocations: 1, billedMs: 1_000, memoryMb: 512 },
    ],
    kafkaBytes: 1024 ** 3 / 1000,
    topicPartitions: 7,
  });

  it('scales counted units to a million records', () => {
    expect(lineOf(estimate, 'Lambda requests').unitsPerMillionRecords).toBe(5_000);
    // 2 s × 1 GB + 1 s × 0.5 GB = 2.5 GB-s per 1,000 records.
    expect(lineOf(estimate, 'Lambda duration').unitsPerMillionRecords).toBeCloseTo(2_500);
  });

  it('bills DynamoDB by the measured request units, control-plane calls not at all', () => {
    // 10 + 400 measured WRU per 1,000 records; the request and item counts are not billed again.
    expect(lineOf(estimate, 'DynamoDB writes').unitsPerMillionRecords).toBe(410_000);
    expect(lineOf(estimate, 'DynamoDB reads').unitsPerMillionRecords).toBe(5_000);
    expect(lineOf(estimate, 'DynamoDB writes').usdPerMillionRecords).toBeCloseTo(
      0.41 * awsPrices.dynamodb.writeRequestUnits.usd,
    );
  });

  it('one claim write per record: 1 WRU per record costs $0.625 per million on DynamoDB', () => {
    const claims = estimateCost({
      records: 1_000,
      requests: {
        'dynamodb.BatchGetItem': 10,
        'dynamodb.BatchGetItem.rru': 1_000,
        'dynamodb.BatchWriteItem': 40,
        'dynamodb.BatchWriteItem.wru': 1_000,
      },
      lambda: [],
      kafkaBytes: 0,
      topicPartitions: 7,
    });
    expect(lineOf(claims, 'DynamoDB writes').usdPerMillionRecords).toBeCloseTo(0.625);
    expect(lineOf(claims, 'DynamoDB reads').usdPerMillionRecords).toBeCloseTo(0.125);
  });

  it('puts S3 writes and listings in the PUT tier, GETs in the GET tier, DELETE free', () => {
    expect(lineOf(estimate, 'S3 PUT/COPY/POST/LIST').unitsPerMillionRecords).toBe(10_000);
    expect(lineOf(estimate, 'S3 GET/HEAD').unitsPerMillionRecords).toBe(7_000);
    expect(lineOf(estimate, 'S3 PUT/COPY/POST/LIST').usdPerMillionRecords).toBeCloseTo(0.05);
  });

  it('prices MSK data per GB and keeps cluster and partition hours out of the per-record total', () => {
    expect(lineOf(estimate, 'MSK Serverless data in').unitsPerMillionRecords).toBeCloseTo(1);
    expect(lineOf(estimate, 'MSK Serverless data in').usdPerMillionRecords).toBeCloseTo(0.1);
    const total = estimate.lines.reduce((sum, line) => sum + line.usdPerMillionRecords, 0);
    expect(estimate.usdPerMillionRecords).toBeCloseTo(total);
    expect(estimate.fixedMonthly.map((line) => line.usdPerMonth)).toEqual([
      730 * 0.75,
      730 * 7 * 0.0015,
      730 * 3 * 0.204,
    ]);
  });

  it('says how each price was checked', () => {
    expect(lineOf(estimate, 'Lambda requests').priceStatus).toBe('unverified');
    expect(lineOf(estimate, 'DynamoDB writes').priceStatus).toBe('secondary-source');
  });

  it('refuses a run that carried no records', () => {
    expect(() =>
      estimateCost({ records: 0, requests: {}, lambda: [], kafkaBytes: 0, topicPartitions: 7 }),
    ).toThrow(/carried records/);
  });
});
