import { z } from 'zod';
import { parseEnv } from '../shared/config';
import { MAX_RECORDS } from './dataset';
import { FaultSettingsSchema } from './faults';

const count = (fallback: number) =>
  z.coerce.number().int().min(0).max(MAX_RECORDS).default(fallback);

const MockEnvSchema = z
  .object({
    MOCK_SEED: z.coerce.number().int().min(0).max(0xffffffff).default(42),
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
  })
  .transform((env) => ({
    dataset: {
      seed: env.MOCK_SEED,
      customers: env.MOCK_CUSTOMERS,
      products: env.MOCK_PRODUCTS,
      driftPerMinute: env.MOCK_DRIFT_PER_MINUTE,
    },
    faults: env.MOCK_FAULTS,
  }));

export type MockSettings = z.output<typeof MockEnvSchema>;

/** Cold-start settings: the data set's defaults (also what /admin/reset falls back to) and faults. */
export const mockSettingsFromEnv = (
  env: Record<string, string | undefined> = process.env,
): MockSettings => parseEnv(MockEnvSchema, env);
