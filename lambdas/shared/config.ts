import type { z } from 'zod';

/**
 * Parses environment variables with a zod schema once, at cold start. A bad or missing variable
 * fails the cold start with one message naming every offending variable, instead of a confusing
 * error deep inside a handler.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`)
      .join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  return result.data;
}
