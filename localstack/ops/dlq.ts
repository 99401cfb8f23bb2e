/**
 * `npm run dlq -- list | show <eventId> | redrive [--id <eventId>]  [--target local|aws]`
 * Parked payloads (batches under dlq/, manifests in outbox/ marked parked); flush lists and redrives them.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { RedriveRequestSchema } from '../dashboard/operations';
import { resolveInvoker, runCli, targetArgs } from './target';

const ParkedListSchema = z.object({
  parked: z.array(
    z.looseObject({
      eventId: z.string(),
      batchCount: z.number(),
      reason: z.string(),
      attempts: z.number(),
      parkedAt: z.string(),
    }),
  ),
});

const USAGE = 'usage: dlq list | dlq show <eventId> | dlq redrive [--id <eventId>]';

export async function main(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { id: { type: 'string' }, ...targetArgs },
    allowPositionals: true,
    strict: true,
  });
  const [command, argument, ...rest] = positionals;
  if (rest.length > 0) throw new Error(USAGE);
  const { target, invoke } = await resolveInvoker(values);
  const list = async () =>
    ParkedListSchema.parse(await invoke('flush', { action: 'list-dlq' })).parked;

  switch (command) {
    case 'list':
      return { target, parked: await list() };
    case 'show': {
      if (!argument) throw new Error(`${USAGE} (show needs an eventId or a unique prefix of one)`);
      const matches = (await list()).filter((entry) => entry.eventId.startsWith(argument));
      if (matches.length !== 1)
        throw new Error(
          matches.length === 0
            ? `no parked payload ${argument}`
            : `${argument} matches ${matches.length} parked payloads; give more of the eventId`,
        );
      return { target, ...matches[0] };
    }
    case 'redrive': {
      const request = RedriveRequestSchema.safeParse(
        values.id === undefined ? {} : { eventId: values.id },
      );
      if (!request.success) throw new Error(`--id: ${request.error.issues[0]?.message}`);
      return { target, result: await invoke('flush', { action: 'redrive', ...request.data }) };
    }
    default:
      throw new Error(USAGE);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  await runCli(() => main(process.argv.slice(2)));
