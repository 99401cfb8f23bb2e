import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FunctionError, awsInvoker, outputKeyFor, readStackOutputs } from './commands';

const lambdaMock = mockClient(LambdaClient);
const cfnMock = mockClient(CloudFormationClient);
beforeEach(() => {
  lambdaMock.reset();
  cfnMock.reset();
});

// The SDK wraps payloads in a blob adapter; the invoker only reads the bytes, which a plain
// Uint8Array provides.
const encode = (value: unknown): InvokeCommandOutput['Payload'] =>
  new TextEncoder().encode(JSON.stringify(value)) as InvokeCommandOutput['Payload'];

describe('AWS invoker', () => {
  it('maps pipeline names to the CfnOutput ids of the stack', () => {
    expect(outputKeyFor('poll-crm')).toBe('PollCrmFunctionName');
    expect(outputKeyFor('merge-consumer')).toBe('MergeConsumerFunctionName');
    expect(outputKeyFor('flush')).toBe('FlushFunctionName');
  });

  it('invokes the physical function RequestResponse and returns its answer', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ status: 'ok' }) });
    const invoke = awsInvoker({ FlushFunctionName: 'EcomSync-Flush-abc' }, new LambdaClient({}));
    await expect(invoke('flush', { action: 'list-dlq' })).resolves.toEqual({ status: 'ok' });
    const input = lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input?.FunctionName).toBe('EcomSync-Flush-abc');
    expect(input?.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual({
      action: 'list-dlq',
    });
  });

  it('turns a FunctionError into an error carrying the function error payload', async () => {
    lambdaMock.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({
        errorType: 'InvalidPollRequestError',
        errorMessage: 'Invalid poll request',
      }),
    });
    const invoke = awsInvoker({ PollCrmFunctionName: 'x' }, new LambdaClient({}));
    const failure = await invoke('poll-crm', { mode: 'ful' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FunctionError);
    expect((failure as FunctionError).errorType).toBe('InvalidPollRequestError');
  });

  it('says so when the stack lacks the function output', async () => {
    await expect(awsInvoker({}, new LambdaClient({}))('flush', {})).rejects.toThrow(
      'FlushFunctionName',
    );
  });
});

describe('stack outputs', () => {
  it('come from the outputs file when the deploy wrote one', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'outputs-')), 'outputs.json');
    writeFileSync(file, JSON.stringify({ EcomSync: { FlushFunctionName: 'f' } }));
    await expect(readStackOutputs('EcomSync', { outputsFile: file })).resolves.toEqual({
      FlushFunctionName: 'f',
    });
    expect(cfnMock.calls()).toHaveLength(0);
  });

  it('otherwise from CloudFormation', async () => {
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'EcomSync',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'PollCrmFunctionName', OutputValue: 'EcomSync-PollCrm-1' }],
        },
      ],
    });
    await expect(
      readStackOutputs('EcomSync', {
        outputsFile: '/nonexistent/outputs.json',
        cloudFormation: new CloudFormationClient({ region: 'eu-west-1' }),
      }),
    ).resolves.toEqual({ PollCrmFunctionName: 'EcomSync-PollCrm-1' });
  });
});
