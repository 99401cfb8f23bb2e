import { z } from 'zod';
import { parseEnv } from '../shared/config';
import type { DatasetOptions } from './dataset';
import { MAX_RECORDS } from './dataset';
import type { FaultSettings } from './faults';
import { FaultSettingsSchema } from './faults';

export const DEFAULT_SEED = 42;

const count = (fallback: number) =>
  z.coerce.number().int().min(0).max(MAX_RECORDS).default(fallback);

const MockEnvSchema = z.object({
  MOCK_SEED: z.coerce.number().int().min(0).max(0xffffffff).default(DEFAULT_SEED),
  MOCK_CUSTOMERS: count(1000),
  MOCK_PRODUCTS: count(500),
  MOCK_DRIFT_PER_MINUTE: z.coerce.number().min(0).default(0),
  MOCK_FAULTS: z
    .string()
    .optional()
    .transform((text, context) => {
      if (!text) return {};
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'MOCK_FAULTS is not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(FaultSettingsSchema),
});

export interface MockSettings {
  dataset: DatasetOptions;
  faults: FaultSettings;
}

/** Cold-start settings: the data set's defaults (also what /admin/reset falls back to) and faults. */
export function mockSettingsFromEnv(
  env: Record<string, string | undefined> = process.env,
): MockSettings {
  const parsed = parseEnv(MockEnvSchema, env);
  return {
    dataset: {
      seed: parsed.MOCK_SEED,
      customers: parsed.MOCK_CUSTOMERS,
      products: parsed.MOCK_PRODUCTS,
      driftPerMinute: parsed.MOCK_DRIFT_PER_MINUTE,
    },
    faults: parsed.MOCK_FAULTS,
  };
}
