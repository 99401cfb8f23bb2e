import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FlushEnvSchema } from '../flush/env';
import { MergeConsumerEnvSchema } from '../merge-consumer/env';
import { nonNegativeInt, parseEnv, parseJson } from './config';
import { functionNames, pipeline } from './pipeline';

const Schema = z.object({
  TABLE: z.string().min(1),
  PAGE_SIZE: z.coerce.number().int().min(1).max(500).default(100),
});

describe('parseEnv', () => {
  it('returns typed values with defaults applied', () => {
    expect(parseEnv(Schema, { TABLE: 't' })).toEqual({ TABLE: 't', PAGE_SIZE: 100 });
  });

  it('names every offending variable in one error', () => {
    expect(() => parseEnv(Schema, { PAGE_SIZE: '9999' })).toThrow(
      /Invalid configuration: TABLE: .*; PAGE_SIZE: /,
    );
  });
});

describe('number variables', () => {
  const Overlap = z.object({ OVERLAP: nonNegativeInt(60) });

  it('read text or a number, and take the default when unset', () => {
    expect(parseEnv(Overlap, { OVERLAP: '0' })).toEqual({ OVERLAP: 0 });
    expect(parseEnv(Overlap, { OVERLAP: 30 })).toEqual({ OVERLAP: 30 });
    expect(parseEnv(Overlap, {})).toEqual({ OVERLAP: 60 });
  });

  it('refuse a variable set but left empty instead of reading it as 0', () => {
    for (const blank of ['', '  '])
      expect(() => parseEnv(Overlap, { OVERLAP: blank })).toThrow(
        'Invalid configuration: OVERLAP: is empty (unset it for the default)',
      );
    expect(() => parseEnv(Overlap, { OVERLAP: 'sixty' })).toThrow(/OVERLAP: .*NaN/);
  });
});

describe('parseJson', () => {
  const Schema = z.object({ email: z.email() });

  it('gives the data, or a reason that never echoes the text', () => {
    expect(parseJson(Schema, '{"email":"jane@example.com"}', 'Contact')).toEqual({
      data: { email: 'jane@example.com' },
    });
    for (const text of ['jane.doe@example.com', '{"email": jane.doe@example.com}', '{"email":"x"}'])
      expect(JSON.stringify(parseJson(Schema, text, 'Contact')), text).not.toMatch(/jane|"x"/);
  });
});

describe('Powertools names', () => {
  it("default to the pipeline namespace and each function's own name, and can be overridden", () => {
    const flushEnv = {
      STAGING_BUCKET: 'b',
      SYNC_STATE_TABLE: 's',
      ANALYTICS_API_BASE_URL: 'http://x',
    };
    expect(parseEnv(FlushEnvSchema, flushEnv)).toMatchObject({
      POWERTOOLS_METRICS_NAMESPACE: pipeline.metrics.namespace,
      POWERTOOLS_SERVICE_NAME: functionNames.flush,
    });
    expect(
      parseEnv(MergeConsumerEnvSchema, { IDEMPOTENCY_TABLE: 't', STAGING_BUCKET: 'b' }),
    ).toMatchObject({
      POWERTOOLS_METRICS_NAMESPACE: pipeline.metrics.namespace,
      POWERTOOLS_SERVICE_NAME: functionNames.mergeConsumer,
    });
    expect(
      parseEnv(FlushEnvSchema, { ...flushEnv, POWERTOOLS_SERVICE_NAME: 'flush-blue' }),
    ).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'flush-blue' });
  });
});
