/**
 * The operator CLIs, each `[--target local|aws] [--url …] [--stack …]` (docs/runbook.md):
 *   npm run resync -- --source crm|inventory|all (--full | --since <ISO>)
 *     re-reads a source into Kafka (syncType RESYNC); the merge-consumer drops what Analytics has
 *   npm run dlq -- list | show <eventId> | redrive [--id <eventId>]
 *     the payloads flush parked; flush lists and redrives them
 *   npm run invoke -- <function> '<payload JSON>'
 *     the local twin of `aws lambda invoke`: the running `npm start`, or the deployed stack
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { functionNames } from '../../lambdas/shared/pipeline';
import type { Invoke } from '../dashboard/operations';
import {
  RedriveRequestSchema,
  ResyncRequestSchema,
  listDlq,
  redrive,
  resync,
} from '../dashboard/operations';
import type { FunctionName, Invoker } from './target';
import { invocableFunctions, resolveInvoker, targetArgs } from './target';

/** flush's list-dlq answer; each entry also has batchCount, reason, attempts, parkedAt. */
const ParkedListSchema = z.object({ parked: z.array(z.looseObject({ eventId: z.string() })) });

/** The dashboard's operations (keyed by function key) over an operator CLI's invoker. */
const byKey =
  (invoke: Invoker): Invoke =>
  (key, event) =>
    invoke(functionNames[key], event);

async function resyncCommand(argv: string[]): Promise<unknown> {
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
  const { source, full, since } = values;
  const request = ResyncRequestSchema.safeParse({ source, full, since });
  if (!request.success) {
    throw new Error(
      `usage: resync --source crm|inventory|all (--full | --since <ISO-8601 with offset>): ${request.error.issues
        .map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`)
        .join('; ')}`,
    );
  }
  const { target, invoke } = await resolveInvoker(values);
  return { target, request: request.data, results: await resync(byKey(invoke), request.data) };
}

const DLQ_USAGE = 'usage: dlq list | dlq show <eventId> | dlq redrive [--id <eventId>]';

async function dlqCommand(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { id: { type: 'string' }, ...targetArgs },
    allowPositionals: true,
    strict: true,
  });
  const [command, argument, ...rest] = positionals;
  if (rest.length > 0) throw new Error(DLQ_USAGE);
  const { target, invoke } = await resolveInvoker(values);
  const list = async () => ParkedListSchema.parse(await listDlq(byKey(invoke))).parked;

  switch (command) {
    case 'list':
      return { target, parked: await list() };
    case 'show': {
      if (!argument)
        throw new Error(`${DLQ_USAGE} (show needs an eventId or a unique prefix of one)`);
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
      const request = RedriveRequestSchema.safeParse({ eventId: values.id });
      if (!request.success) throw new Error(`--id: ${request.error.issues[0]?.message}`);
      return { target, result: await redrive(byKey(invoke), request.data) };
    }
    default:
      throw new Error(DLQ_USAGE);
  }
}

const INVOKE_USAGE = `usage: invoke <${invocableFunctions.join('|')}> ['<payload JSON>']`;

async function invokeCommand(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: targetArgs,
    allowPositionals: true,
    strict: true,
  });
  const [name, payloadText, ...rest] = positionals;
  if (!name || rest.length > 0) throw new Error(INVOKE_USAGE);
  if (!invocableFunctions.includes(name as FunctionName))
    throw new Error(`unknown function ${name}; ${INVOKE_USAGE}`);
  let payload: unknown = {};
  if (payloadText !== undefined) {
    try {
      payload = JSON.parse(payloadText);
    } catch {
      throw new Error(`the payload is not JSON: ${payloadText}`);
    }
  }
  const { invoke } = await resolveInvoker(values);
  return invoke(name as FunctionName, payload);
}

export const commands = {
  resync: resyncCommand,
  dlq: dlqCommand,
  invoke: invokeCommand,
};

/** `tsx commands.ts <command> …args`: prints the answer as JSON; a failure goes to stderr, exit 1. */
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [name = '', ...argv] = process.argv.slice(2);
  try {
    const command = new Map(Object.entries(commands)).get(name);
    if (!command) throw new Error(`usage: commands.ts ${Object.keys(commands).join('|')} …`);
    process.stdout.write(`${JSON.stringify(await command(argv), null, 2)}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
