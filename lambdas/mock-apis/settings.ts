import { z } from 'zod';
import { envNumber, parseEnv } from '../shared/config';
import type { DatasetOptions } from './dataset';
import { DatasetOptionsSchema } from './dataset';
import { FaultSettingsSchema } from './faults';

/** A data set option given as text (MOCK_* env, serve.ts's flags), with its bounds. */
export const optionFromText = (name: keyof DatasetOptions) =>
  envNumber(DatasetOptionsSchema.shape[name]);

const MockEnvSchema = z
  .object({
    MOCK_SEED: optionFromText('seed').default(42),
    MOCK_CUSTOMERS: optionFromText('customers').default(1000),
    MOCK_PRODUCTS: optionFromText('products').default(500),
    MOCK_DRIFT_PER_MINUTE: optionFromText('driftPerMinute').default(0),
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
export const mockSettingsFromEnv = (env: Record<string, string | undefined> = process.env) =>
  parseEnv(MockEnvSchema, env);
