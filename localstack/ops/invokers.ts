import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { z } from 'zod';
import type { InvokeRequest } from '../dashboard/operations';
import { functionKeysByName } from '../dashboard/operations';

export type FunctionName = InvokeRequest['function'];
export const invocableFunctions = Object.keys(functionKeysByName) as FunctionName[];

/** Invokes a deployed or local function by its pipeline name and returns its parsed answer. */
export type Invoker = (functionName: FunctionName, payload: unknown) => Promise<unknown>;

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

const ControlAnswerSchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({
    ok: z.literal(false),
    error: z.object({ errorType: z.string().optional(), errorMessage: z.string() }),
  }),
]);

/** Local: through the control API of the running `npm start` (localstack/dashboard/server.ts). */
export function localInvoker(dashboardUrl: string, token: string): Invoker {
  return async (functionName, payload) => {
    const response = await fetch(new URL('/api/invoke', dashboardUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ecom-sync-token': token },
      body: JSON.stringify({ function: functionName, payload }),
    });
    const answer = ControlAnswerSchema.safeParse(await response.json().catch(() => undefined));
    // One line, not the schema's issue list: the usual cause is a --url that is not the dashboard.
    if (!answer.success)
      throw new Error(
        `${dashboardUrl} answered POST /api/invoke with HTTP ${response.status}, not a dashboard answer; is it the "dashboard at" URL npm start printed?`,
      );
    if (answer.data.ok) return answer.data.result;
    throw new FunctionError(
      functionName,
      answer.data.error.errorType ?? `HTTP ${response.status}`,
      answer.data.error.errorMessage,
    );
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
): Invoker {
  return async (functionName, payload) => {
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
    if (answer.FunctionError) {
      const error = z
        .object({ errorType: z.string().optional(), errorMessage: z.string() })
        .safeParse(body);
      throw new FunctionError(
        functionName,
        error.success ? (error.data.errorType ?? answer.FunctionError) : answer.FunctionError,
        error.success ? error.data.errorMessage : text,
      );
    }
    return body;
  };
}
