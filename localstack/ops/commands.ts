/**
 * The operator CLIs `npm run resync | dlq | replay | invoke` (README "Commands", docs/runbook.md), each
 * against the running `npm start` or, with `--target aws`, the deployed stack.
 */
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { EventSourceMappingConfiguration } from '@aws-sdk/client-lambda';
import {
  CreateEventSourceMappingCommand,
  InvokeCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
} from '@aws-sdk/client-lambda';
import { z } from 'zod';
import { prettifyOnOneLine } from '../../lambdas/shared/config';
import { functionNames, replayGroupId, replayGroupPattern } from '../../lambdas/shared/pipeline';
import * as operations from '../dashboard/operations';
import { isProcessAlive } from '../stack/server-process';

export type FunctionName = operations.InvokeRequest['function'];
export const invocableFunctions = Object.keys(operations.functionKeysByName) as FunctionName[];

/** A function ran and failed; carries Lambda's error payload. */
export class FunctionError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    readonly errorMessage: string,
  ) {
    super(`${functionName} failed: ${errorType}: ${errorMessage}`);
    this.name = 'FunctionError';
  }
}

/** Where `npm start` tells the operator CLIs how to reach it (gitignored, like the rest of .stack/). */
export const RUNTIME_INFO_PATH = fileURLToPath(
  new URL('../../.stack/runtime.json', import.meta.url),
);

const RuntimeInfoSchema = z.object({
  dashboardUrl: z.url(),
  /** The dashboard's per-run token (operations need it): why the file is readable by its owner only. */
  token: z.string().min(1),
  pid: z.number().int().positive(),
  startedAt: z.string(),
});
export type RuntimeInfo = z.infer<typeof RuntimeInfoSchema>;

export async function writeRuntimeInfo(info: RuntimeInfo, path = RUNTIME_INFO_PATH): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  // `mode` applies only when the file is created; one left by an older run keeps its own.
  await chmod(path, 0o600);
}

/** Removes the file only if it still describes this process (a second `npm start` may own it). */
export async function removeRuntimeInfo(pid: number, path = RUNTIME_INFO_PATH): Promise<void> {
  const info = await parseRuntimeFile(path).catch(() => undefined);
  if (info?.pid === pid) await rm(path, { force: true });
}

const shown = (path: string): string => relative(process.cwd(), path) || path;

async function parseRuntimeFile(path: string): Promise<RuntimeInfo | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return RuntimeInfoSchema.parse(JSON.parse(text));
  } catch (error) {
    throw new Error(
      `${shown(path)} is damaged (not what npm start writes); delete it and run \`npm start\`, or pass --target aws`,
      { cause: error },
    );
  }
}

/**
 * The running `npm start`: its file, its process alive and its dashboard answering with the
 * file's token. Anything else is a one-line error saying what to do; never a silent fallback to AWS.
 */
async function readRuntimeInfo(path: string): Promise<RuntimeInfo> {
  const info = await parseRuntimeFile(path);
  if (!info)
    throw new Error(
      `no local stack running (no ${shown(path)}); run \`npm start\`, or pass --target aws for the deployed stack`,
    );
  const token = isProcessAlive(info.pid)
    ? await dashboardToken(info.dashboardUrl).catch(() => undefined)
    : undefined;
  if (token !== info.token)
    throw new Error(
      `${shown(path)} is stale (npm start pid ${info.pid} is gone or its dashboard ${info.dashboardUrl} does not answer); run \`npm start\`, or pass --target aws`,
    );
  return info;
}

/**
 * The run token a dashboard hands its own page (GET /api/config), for `--url`; an address that is
 * not a dashboard is a one-line error, not a schema dump.
 */
async function dashboardToken(dashboardUrl: string): Promise<string> {
  const signal = AbortSignal.timeout(5_000);
  const response = await fetch(new URL('/api/config', dashboardUrl), { signal }).catch(
    (error: unknown) => {
      throw new Error(
        `cannot reach a dashboard at ${dashboardUrl} (${(error as Error).message}); run \`npm start\` or check --url`,
        { cause: error },
      );
    },
  );
  const config = RuntimeInfoSchema.pick({ token: true });
  const parsed = config.safeParse(await response.json().catch(() => undefined));
  if (!response.ok || !parsed.success)
    throw new Error(
      `${dashboardUrl} is not an ecom-sync dashboard (GET /api/config answered HTTP ${response.status}); use the "dashboard at" URL npm start prints`,
    );
  return parsed.data.token;
}

const ErrorPayloadSchema = z.object({ errorType: z.string().optional(), errorMessage: z.string() });
const ControlAnswerSchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorPayloadSchema }),
]);

/** POSTs an operation to the control API of the running `npm start` (localstack/dashboard/server.ts). */
function dashboardControl(dashboardUrl: string, token: string) {
  return async (path: string, body: unknown, operation = path): Promise<unknown> => {
    const response = await fetch(new URL(path, dashboardUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ecom-sync-token': token },
      body: JSON.stringify(body),
    });
    const answer = ControlAnswerSchema.safeParse(await response.json().catch(() => undefined));
    // One line, not the schema's issue list: the usual cause is a --url that is not the dashboard.
    if (!answer.success)
      throw new Error(
        `${dashboardUrl} answered POST ${path} with HTTP ${response.status}, not a dashboard answer; is it the "dashboard at" URL npm start printed?`,
      );
    if (answer.data.ok) return answer.data.result;
    const { errorType, errorMessage } = answer.data.error;
    throw new FunctionError(operation, errorType ?? `HTTP ${response.status}`, errorMessage);
  };
}

/** CfnOutput ids of infra/lib/ecom-sync-stack.ts: `${PascalCase(name)}FunctionName`. */
export function outputKeyFor(functionName: FunctionName): string {
  return `${functionName
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')}FunctionName`;
}

const OutputsFileSchema = z.record(z.string(), z.record(z.string(), z.string()));

/**
 * The stack outputs: `cdk.out/outputs.json` when the deploy wrote one
 * (`npm run deploy -- --outputs-file cdk.out/outputs.json`), otherwise CloudFormation.
 */
export async function readStackOutputs(
  stackName: string,
  options: { outputsFile?: string; cloudFormation?: CloudFormationClient } = {},
): Promise<Record<string, string>> {
  const file = options.outputsFile ?? join(process.cwd(), 'cdk.out', 'outputs.json');
  if (existsSync(file)) {
    const outputs = OutputsFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')))[stackName];
    if (outputs) return outputs;
  }
  const cloudFormation = options.cloudFormation ?? new CloudFormationClient({});
  const answer = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = answer.Stacks?.[0];
  if (!stack) throw new Error(`stack ${stackName} not found`);
  return Object.fromEntries(
    (stack.Outputs ?? []).flatMap((output) =>
      output.OutputKey && output.OutputValue ? [[output.OutputKey, output.OutputValue]] : [],
    ),
  );
}

/** AWS: `lambda:InvokeFunction` (RequestResponse) on the names the stack outputs carry. */
export function awsInvoker(
  outputs: Record<string, string>,
  lambda = new LambdaClient({}),
): operations.Invoke {
  return async (key, payload) => {
    const functionName = functionNames[key];
    const physicalName = outputs[outputKeyFor(functionName)];
    if (!physicalName)
      throw new Error(`the stack has no output ${outputKeyFor(functionName)}; is it deployed?`);
    const answer = await lambda.send(
      new InvokeCommand({
        FunctionName: physicalName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(payload ?? {})),
      }),
    );
    const text = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
    const body: unknown = text === '' ? null : JSON.parse(text);
    if (!answer.FunctionError) return body;
    const error = ErrorPayloadSchema.safeParse(body).data;
    throw new FunctionError(
      functionName,
      error?.errorType ?? answer.FunctionError,
      error?.errorMessage ?? text,
    );
  };
}

const text = { type: 'string' } as const;
const flag = { type: 'boolean' } as const;
/** Options every operator CLI takes. */
const targetArgs = { target: text, url: text, stack: text };

/** An operator CLI's own options and targetArgs, strictly; positionals only where it takes them. */
function parseArgv<T extends Record<string, typeof text | typeof flag>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  return parseArgs({
    args,
    options: { ...options, ...targetArgs },
    allowPositionals,
    strict: true,
  });
}

/**
 * local (the running `npm start`, found through .stack/runtime.json or `--url`) or aws (the
 * deployed stack's functions). AWS only when asked for by name: an operator who meant the local
 * stack must never redrive production because `npm start` had stopped.
 */
export async function resolveInvoker(
  options: { target?: string; url?: string; stack?: string },
  runtimeInfoPath = RUNTIME_INFO_PATH,
) {
  if (options.target !== undefined && options.target !== 'local' && options.target !== 'aws')
    throw new Error(`--target must be local or aws, not ${options.target}`);
  const url = options.url ?? process.env.ECOM_SYNC_DASHBOARD_URL;
  if (options.target === 'aws') {
    if (url !== undefined)
      throw new Error('--url names a local dashboard; it cannot go with --target aws');
    // The SDK's documented switch for its "upgrade Node.js" notice (@aws-sdk/core
    // emitWarningIfUnsupportedVersion), printed on every CLI run otherwise.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const outputs = await readStackOutputs(options.stack ?? process.env.STACK_NAME ?? 'EcomSync');
    return { target: 'aws', invoke: awsInvoker(outputs), outputs };
  }
  const info =
    url === undefined
      ? await readRuntimeInfo(runtimeInfoPath)
      : { dashboardUrl: url, token: await dashboardToken(url) };
  const control = dashboardControl(info.dashboardUrl, info.token);
  const invoke: operations.Invoke = (key, payload) =>
    control('/api/invoke', { function: functionNames[key], payload }, functionNames[key]);
  return { target: 'local', invoke, control };
}

/** flush's list-dlq answer (lambdas/flush/README.md); `dlq show` prints all of an entry. */
const DlqListSchema = z.object({
  parked: z.array(z.looseObject({ eventId: z.string() })),
  failedRecords: z.array(z.looseObject({ position: z.string() })),
});

async function resyncCommand(argv: string[]): Promise<unknown> {
  const { values } = parseArgv(argv, { source: text, full: flag, since: text, redeliver: flag });
  const { source, full, since, redeliver } = values;
  const request = operations.ResyncRequestSchema.safeParse({ source, full, since, redeliver });
  if (!request.success)
    throw new Error(
      `usage: resync --source crm|inventory|all (--full | --since <ISO-8601 with offset>) [--redeliver]: ${prettifyOnOneLine(request.error)}`,
    );
  const { target, invoke } = await resolveInvoker(values);
  const results = await operations.resync(invoke, request.data);
  return { target, request: request.data, results };
}

const DLQ_USAGE =
  'usage: dlq list | dlq show <eventId|position> | dlq redrive [--id <eventId>] (no --id: everything)';

async function dlqCommand(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgv(argv, { id: text }, true);
  const [command, argument, ...rest] = positionals;
  if (rest.length > 0) throw new Error(DLQ_USAGE);
  const { target, invoke } = await resolveInvoker(values);
  const list = async () => DlqListSchema.parse(await operations.listDlq(invoke));

  switch (command) {
    case 'list':
      return { target, ...(await list()) };
    case 'show': {
      if (!argument)
        throw new Error(`${DLQ_USAGE} (show needs an eventId, a position or a unique prefix)`);
      const { parked, failedRecords } = await list();
      const matches = [
        ...parked.filter((entry) => entry.eventId.startsWith(argument)),
        ...failedRecords.filter((entry) => entry.position.startsWith(argument)),
      ];
      if (matches.length !== 1)
        throw new Error(
          matches.length === 0
            ? `no parked payload or dead-lettered record ${argument}`
            : `${argument} matches ${matches.length} DLQ entries; give more of it`,
        );
      return { target, ...matches[0] };
    }
    case 'redrive': {
      const request = operations.RedriveRequestSchema.safeParse({ eventId: values.id });
      if (!request.success) throw new Error(`--id: ${request.error.issues[0]?.message}`);
      return { target, result: await operations.redrive(invoke, request.data) };
    }
    default:
      throw new Error(DLQ_USAGE);
  }
}

const REPLAY_USAGE =
  'usage: replay --topic <topic> --from <offset|ISO-8601 with offset> [--partition N] [--redeliver] [--target aws]';

/**
 * Re-delivers `--topic` from `--from` through the merge-consumer. Local: the running `npm start`
 * runs a second mapping over the range. AWS: flush (inside the VPC) commits a new group's start,
 * then a second event source mapping is created with that group; its pollers begin at the
 * group's committed offsets, not at StartingPosition
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-consumer-group-id.html).
 */
async function replayCommand(argv: string[]): Promise<unknown> {
  const { values } = parseArgv(argv, { topic: text, from: text, partition: text, redeliver: flag });
  const { topic, from, partition, redeliver } = values;
  const request = operations.ReplayRequestSchema.safeParse({
    topic,
    from,
    partition: partition === undefined ? undefined : Number(partition),
    redeliver,
  });
  if (!request.success) throw new Error(`${REPLAY_USAGE}: ${prettifyOnOneLine(request.error)}`);
  const { target, invoke, outputs, control } = await resolveInvoker(values);
  if (control) return { target, result: await control('/api/replay', request.data, 'replay') };
  const { redeliver: asNewGeneration, ...seek } = request.data;
  if (asNewGeneration)
    return { target, result: await invoke('flush', { action: 'redeliver', ...seek }) };
  const lambda = new LambdaClient({});
  const functionName = outputs[outputKeyFor('merge-consumer')];
  const { EventSourceMappings: mappings = [] } = await lambda.send(
    new ListEventSourceMappingsCommand({ FunctionName: functionName }),
  );
  const groupOf = (mapping: EventSourceMappingConfiguration) =>
    mapping.AmazonManagedKafkaEventSourceConfig?.ConsumerGroupId ??
    mapping.SelfManagedKafkaEventSourceConfig?.ConsumerGroupId ??
    '';
  const live = mappings.find(
    (mapping) =>
      mapping.Topics?.includes(request.data.topic) && !replayGroupPattern.test(groupOf(mapping)),
  );
  if (!functionName || !live)
    throw new Error(`no event source mapping of ${functionName} reads ${request.data.topic}`);
  const groupId = replayGroupId(groupOf(live));
  const range = await invoke('flush', { action: 'seek', groupId, ...seek });
  const group = { ConsumerGroupId: groupId };
  // The live mapping's source, controls and on-failure destination (the SDK sends only the
  // request's members); the start is the group's, so StartingPosition is not used.
  const created = await lambda.send(
    new CreateEventSourceMappingCommand({
      ...live,
      FunctionName: functionName,
      ...(live.EventSourceArn
        ? { AmazonManagedKafkaEventSourceConfig: group }
        : { SelfManagedKafkaEventSourceConfig: group }),
    }),
  );
  const uuid = created.UUID ?? '';
  return {
    target,
    range,
    mapping: uuid,
    steps: [
      `1. done: flush committed the start of group ${groupId} (range)`,
      `2. done: created mapping ${uuid} of ${functionName} with that group`,
      `3. wait until it is Enabled (minutes): aws lambda get-event-source-mapping --uuid ${uuid}`,
      `4. wait until its OffsetLag (AWS/Lambda, EventSourceMappingUUID=${uuid}) is 0`,
      `5. delete it, or it reads every new record twice: aws lambda delete-event-source-mapping --uuid ${uuid}`,
    ],
  };
}

const INVOKE_USAGE = `usage: invoke <${invocableFunctions.join('|')}> ['<payload JSON>']`;

async function invokeCommand(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgv(argv, {}, true);
  const [name, payloadText, ...rest] = positionals;
  if (!name || rest.length > 0) throw new Error(INVOKE_USAGE);
  if (!invocableFunctions.includes(name as FunctionName))
    throw new Error(`unknown function ${name}; ${INVOKE_USAGE}`);
  let payload: unknown;
  try {
    payload = JSON.parse(payloadText ?? '{}');
  } catch {
    throw new Error(`the payload is not JSON: ${payloadText}`);
  }
  const { invoke } = await resolveInvoker(values);
  return invoke(operations.functionKeysByName[name as FunctionName], payload);
}

export const commands = {
  resync: resyncCommand,
  dlq: dlqCommand,
  replay: replayCommand,
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
