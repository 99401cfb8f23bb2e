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
    expect(parseInfraContext({ natGateways: '0', retainData: 'false' })).toMatchObject({
      natGateways: 0,
      retainData: false,
    });
    expect(parseInfraContext({ retainData: true }).retainData).toBe(true);
  });

  it('names every bad key', () => {
    expect(() => parseInfraContext({ target: 'gcp', sourceApiUrl: 'not a url' })).toThrow(
      /target: .*; sourceApiUrl: /,
    );
  });
});
