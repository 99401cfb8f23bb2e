import { parseArgs } from 'node:util';
import { z } from 'zod';

export const defaultRecords = 20_000;
/** What CI runs: small enough for the whole matrix to finish in minutes on two cores. */
export const quickRecords = 1_500;

export interface ChaosOptions {
  records: number;
  quick: boolean;
  /** Scenario names to run, in registry order; undefined runs all. */
  only?: string[];
  seed: number;
  outDir: string;
}

export const chaosUsage =
  'usage: npm run chaos -- [--records N] [--quick] [--only name,name] [--seed N] [--out-dir DIR]';

const RawOptionsSchema = z.strictObject({
  records: z.coerce.number().int().min(30).max(1_000_000).optional(),
  quick: z.boolean().default(false),
  only: z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name.length > 0),
    )
    .pipe(z.array(z.string().regex(/^[a-z0-9-]+$/, 'scenario names are kebab-case')).min(1))
    .optional(),
  seed: z.coerce.number().int().min(0).max(0xffffffff).default(42),
  'out-dir': z.string().min(1).default('bench/results'),
});

/**
 * Command-line options of `npm run chaos`. `--quick` means 1,500 records unless `--records` is
 * given too. Throws with the usage line on anything unknown or out of range.
 */
export function parseChaosOptions(argv: readonly string[]): ChaosOptions {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        records: { type: 'string' },
        quick: { type: 'boolean' },
        only: { type: 'string' },
        seed: { type: 'string' },
        'out-dir': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${chaosUsage}`);
  }
  const parsed = RawOptionsSchema.safeParse(values);
  if (!parsed.success)
    throw new Error(`invalid options: ${z.prettifyError(parsed.error)}\n${chaosUsage}`);
  const raw = parsed.data;
  return {
    records: raw.records ?? (raw.quick ? quickRecords : defaultRecords),
    quick: raw.quick,
    ...(raw.only === undefined ? {} : { only: raw.only }),
    seed: raw.seed,
    outDir: raw['out-dir'],
  };
}

/** The scenarios `--only` picks, in the registry's order; unknown names are an error. */
export function selectScenarios<T extends { name: string }>(
  registry: readonly T[],
  only: readonly string[] | undefined,
): T[] {
  if (only === undefined) return [...registry];
  const known = new Set(registry.map((scenario) => scenario.name));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length > 0)
    throw new Error(
      `unknown scenario ${unknown.join(', ')}; known: ${registry.map((s) => s.name).join(', ')}`,
    );
  return registry.filter((scenario) => only.includes(scenario.name));
}
