import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';

/**
 * A number variable (text, or a number in CDK context) within `bounds`. z.coerce alone reads a
 * variable set but left empty as 0, which would silently replace the default (an empty
 * POLLER_OVERLAP_SECONDS: no overlap at all), so empty text is an error.
 */
export const envNumber = (bounds: z.ZodType<number, number>) =>
  z.preprocess((value, context) => {
    if (typeof value !== 'string' || value.trim() !== '') return value;
    context.addIssue({ code: 'custom', message: 'is empty (unset it for the default)' });
    return z.NEVER;
  }, z.coerce.number().pipe(bounds));

/** A positive (or non-negative) integer variable with its default (a tunable). */
export const positiveInt = (fallback: number) =>
  envNumber(z.number().int().positive()).default(fallback);
export const nonNegativeInt = (fallback: number) =>
  envNumber(z.number().int().nonnegative()).default(fallback);

/** Parses the env (or CDK context) at cold start (synth): one error naming every bad variable. */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, unknown> = process.env,
  what = 'configuration',
): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) throw new Error(`Invalid ${what}: ${describeIssues(result.error.issues)}`);
  return result.data;
}

/** z.prettifyError on one line, for an error message that names the accepted shapes after it. */
export const prettifyOnOneLine = (error: z.ZodError): string =>
  z.prettifyError(error).replaceAll('\n', ' ');

/** `path: message` per zod issue (never the offending value, which may be an e-mail). */
export const describeIssues = (issues: readonly z.core.$ZodIssue[]): string =>
  issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');

/**
 * `text` as JSON checked against `schema` (named in the reason), or what is wrong with it: paths
 * and messages only, as the issues never echo field values (which may be e-mails).
 */
export function parseJson<T>(
  schema: z.ZodType<T>,
  text: string,
  name: string,
): { data: T } | { reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON.parse's message: V8 quotes the text around the error, which may hold an e-mail.
    return { reason: `not JSON (${text.length} characters)` };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { data: parsed.data };
  return { reason: `fails ${name}: ${describeIssues(parsed.error.issues.slice(0, 10))}` };
}

/** Path and code per zod issue: what may be logged of a rejected record (no message, no value). */
export const issuePaths = (issues: readonly z.core.$ZodIssue[]) =>
  issues.map(({ path, code }) => ({ path: path.map(String).join('.') || '(root)', code }));

/** A handler's Powertools Logger and Metrics; Metrics' own warnings become WARN log lines. */
export function powertools(env: {
  POWERTOOLS_SERVICE_NAME: string;
  POWERTOOLS_METRICS_NAMESPACE: string;
}): { logger: Logger; metrics: Metrics } {
  const { POWERTOOLS_SERVICE_NAME: serviceName, POWERTOOLS_METRICS_NAMESPACE: namespace } = env;
  const logger = new Logger({ serviceName });
  return { logger, metrics: new Metrics({ namespace, serviceName, logger }) };
}
