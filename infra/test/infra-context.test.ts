import { describe, expect, it } from 'vitest';
import { parseInfraContext } from '../lib/infra-context';

describe('parseInfraContext', () => {
  it('defaults to the aws target with one NAT and MSK Serverless', () => {
    expect(parseInfraContext({})).toMatchObject({
      target: 'aws',
      natGateways: 1,
      mskMode: 'serverless',
      kafkaBootstrap: 'kafka:9092',
    });
  });

  it('accepts -c strings as well as typed cdk.json values', () => {
    expect(parseInfraContext({ natGateways: '2', retainData: 'false' })).toMatchObject({
      natGateways: 2,
      retainData: false,
    });
    expect(parseInfraContext({ retainData: true }).retainData).toBe(true);
  });

  it('refuses -c natGateways=0: the private subnets would have no route out', () => {
    expect(() => parseInfraContext({ natGateways: '0' })).toThrow(
      /natGateways: must be at least 1: .*interface endpoints/,
    );
  });

  it('keeps delivered and parked batches at least as long as the claims that name them', () => {
    expect(() => parseInfraContext({ deliveredExpiryDays: 6 })).toThrow(/deliveredExpiryDays/);
    expect(() => parseInfraContext({ dlqExpiryDays: '6' })).toThrow(/dlqExpiryDays/);
    expect(parseInfraContext({ deliveredExpiryDays: 7 }).deliveredExpiryDays).toBe(7);
  });

  it('takes only a log retention CloudWatch Logs allows', () => {
    expect(parseInfraContext({ logRetentionDays: '14' }).logRetentionDays).toBe(14);
    expect(() => parseInfraContext({ logRetentionDays: '8' })).toThrow(/logRetentionDays/);
  });

  it('names every bad key', () => {
    expect(() => parseInfraContext({ target: 'gcp', sourceApiUrl: 'not a url' })).toThrow(
      /target: .*; sourceApiUrl: /,
    );
  });
});
