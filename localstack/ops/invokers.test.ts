import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { InvokeCommandOutput } from '@aws-sdk/client-lambda';
import {
  CreateEventSourceMappingCommand,
  InvokeCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FunctionError, awsInvoker, commands, outputKeyFor, readStackOutputs } from './commands';

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
    const failure = await invoke('pollCrm', { mode: 'ful' }).catch((error: unknown) => error);
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

describe('replay --target aws', () => {
  it('has flush seek a replay group, then creates a second mapping with it and the live controls', async () => {
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'EcomSync',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [
            { OutputKey: 'MergeConsumerFunctionName', OutputValue: 'EcomSync-Merge-1' },
            { OutputKey: 'FlushFunctionName', OutputValue: 'EcomSync-Flush-1' },
          ],
        },
      ],
    });
    const live = {
      UUID: 'live-uuid',
      EventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/c/u',
      Topics: ['customer_data'],
      StartingPosition: 'TRIM_HORIZON' as const,
      BatchSize: 2000,
      MaximumRetryAttempts: 3,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures' as const],
      DestinationConfig: { OnFailure: { Destination: 'kafka://analytics_dlq' } },
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3 },
      AmazonManagedKafkaEventSourceConfig: {
        ConsumerGroupId: 'ecom-sync-merge-consumer-customer_data',
      },
    };
    const other = { ...live, UUID: 'other', Topics: ['inventory_data'] };
    lambdaMock.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [other, live] });
    const range = { status: 'ok', groupId: 'g', from: { 0: '5' }, to: { 0: '9' } };
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode(range) });
    lambdaMock.on(CreateEventSourceMappingCommand).resolves({ UUID: 'replay-uuid' });

    const answer = (await commands.replay([
      ...['--topic', 'customer_data', '--from', '5', '--partition', '0', '--target', 'aws'],
    ])) as { range: unknown; mapping: string; steps: string[] };

    const group = 'ecom-sync-merge-consumer-customer_data-replay';
    const seek = lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(seek?.FunctionName).toBe('EcomSync-Flush-1');
    expect(JSON.parse(new TextDecoder().decode(seek?.Payload as Uint8Array))).toEqual({
      action: 'seek',
      groupId: group,
      topic: 'customer_data',
      from: '5',
      partition: 0,
    });
    const create = lambdaMock.commandCalls(CreateEventSourceMappingCommand)[0]?.args[0].input;
    expect(create).toMatchObject({
      FunctionName: 'EcomSync-Merge-1',
      EventSourceArn: live.EventSourceArn,
      Topics: ['customer_data'],
      BatchSize: 2000,
      DestinationConfig: live.DestinationConfig,
      ProvisionedPollerConfig: live.ProvisionedPollerConfig,
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: group },
    });
    expect(answer).toMatchObject({ range, mapping: 'replay-uuid' });
    expect(answer.steps.at(-1)).toContain('delete-event-source-mapping --uuid replay-uuid');
  });
});
