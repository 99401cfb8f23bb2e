import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseEnv } from './config';

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
