/**
 * `npm run resync -- --source crm|inventory|all (--full | --since <ISO>) [--target local|aws]`
 * Re-reads a source into Kafka (syncType RESYNC); the merge-consumer drops what Analytics has.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ResyncRequestSchema, resync } from '../dashboard/operations';
import { functionNames } from '../../lambdas/shared/pipeline';
import { resolveInvoker, runCli, targetArgs } from './target';

export async function main(argv: string[]): Promise<unknown> {
  const { values } = parseArgs({
    args: argv,
    options: {
      source: { type: 'string' },
      full: { type: 'boolean' },
      since: { type: 'string' },
      ...targetArgs,
    },
    strict: true,
  });
  const request = ResyncRequestSchema.safeParse({
    source: values.source,
    ...(values.full ? { full: true } : {}),
    ...(values.since === undefined ? {} : { since: values.since }),
  });
  if (!request.success) {
    throw new Error(
      `usage: resync --source crm|inventory|all (--full | --since <ISO-8601 with offset>): ${request.error.issues
        .map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`)
        .join('; ')}`,
    );
  }
  const { target, invoke } = await resolveInvoker(values);
  const results = await resync((key, event) => invoke(functionNames[key], event), request.data);
  return { target, request: request.data, results };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  await runCli(() => main(process.argv.slice(2)));
