import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { mockClient } from 'aws-sdk-client-mock';
import { logLevel } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { KafkaEnvSchema, createKafka } from './kafka';
import {
  createMskTokenProvider,
  lazyConnect,
  powertoolsLogCreator,
  resolveMskBrokers,
} from './kafka';

describe('createMskTokenProvider', () => {
  it('resolves credentials afresh for every token request and signs with them', async () => {
    let generation = 0;
    const resolveCredentials = vi.fn(async () => {
      generation += 1;
      return { accessKeyId: `AKID${generation}`, secretAccessKey: 'secret' };
    });
    const signedWith: string[] = [];
    const sign = vi.fn(
      async (options: {
        region: string;
        awsCredentialsProvider: () => Promise<{ accessKeyId: string }>;
      }) => {
        const credentials = await options.awsCredentialsProvider();
        signedWith.push(`${options.region}:${credentials.accessKeyId}`);
        return { token: `token-${credentials.accessKeyId}`, expiryTime: 0 };
      },
    );
    const provider = createMskTokenProvider({
      region: 'eu-west-1',
      credentials: () => resolveCredentials,
      sign,
    });

    const first = await provider();
    const second = await provider();

    expect(resolveCredentials).toHaveBeenCalledTimes(2);
    expect(signedWith).toEqual(['eu-west-1:AKID1', 'eu-west-1:AKID2']);
    expect(first).toEqual({ value: 'token-AKID1' });
    expect(second).toEqual({ value: 'token-AKID2' });
  });
});

describe('resolveMskBrokers', () => {
  const answer = {
    BootstrapBrokerString: 'b-1:9092,b-2:9092',
    BootstrapBrokerStringTls: 'b-1:9094,b-2:9094',
    BootstrapBrokerStringSaslIam: 'b-1:9098, b-2:9098',
  };

  it('picks the IAM broker string when KAFKA_AUTH=iam', async () => {
    const kafka = mockClient(KafkaClient);
    kafka.on(GetBootstrapBrokersCommand).resolves(answer);
    const env = {
      MSK_CLUSTER_ARN: 'arn:aws:kafka:eu-west-1:123:cluster/iam-once/abc',
      KAFKA_AUTH: 'iam' as const,
      KAFKA_TLS: false,
      AWS_REGION: 'eu-west-1',
    };
    const client = new KafkaClient({ region: 'eu-west-1' });
    expect(await resolveMskBrokers(env, client)).toEqual(['b-1:9098', 'b-2:9098']);
    expect(kafka.commandCalls(GetBootstrapBrokersCommand)).toHaveLength(1);
    expect(kafka.commandCalls(GetBootstrapBrokersCommand)[0]?.args[0].input).toEqual({
      ClusterArn: env.MSK_CLUSTER_ARN,
    });
  });

  it('picks the TLS string without IAM, and fails clearly when the cluster has none', async () => {
    const kafka = mockClient(KafkaClient);
    kafka.on(GetBootstrapBrokersCommand).resolvesOnce(answer).resolvesOnce({});
    const client = new KafkaClient({ region: 'eu-west-1' });
    const base = { KAFKA_AUTH: 'none' as const, KAFKA_TLS: true, AWS_REGION: 'eu-west-1' };
    expect(
      await resolveMskBrokers(
        { ...base, MSK_CLUSTER_ARN: 'arn:aws:kafka:x:1:cluster/tls/1' },
        client,
      ),
    ).toEqual(['b-1:9094', 'b-2:9094']);
    await expect(
      resolveMskBrokers({ ...base, MSK_CLUSTER_ARN: 'arn:aws:kafka:x:1:cluster/none/2' }, client),
    ).rejects.toThrow(/BootstrapBrokerStringTls/);
  });
});

describe('powertoolsLogCreator', () => {
  it('routes kafkajs entries to the matching logger level with their namespace', () => {
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const log = powertoolsLogCreator(logger)(logLevel.INFO);
    log({
      namespace: 'Connection',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { timestamp: 't', message: 'broken', broker: 'b-1' },
    });
    log({
      namespace: 'Producer',
      level: logLevel.WARN,
      label: 'WARN',
      log: { timestamp: 't', message: 'slow' },
    });
    expect(logger.error).toHaveBeenCalledWith('broken', {
      kafkajs: { namespace: 'Connection', broker: 'b-1' },
    });
    expect(logger.warn).toHaveBeenCalledWith('slow', { kafkajs: { namespace: 'Producer' } });
  });
});

describe('lazyConnect', () => {
  it('connects once while warm, and retries a connect that failed', async () => {
    const connect = vi
      .fn<() => Promise<void>>()
      .mockRejectedValueOnce(new Error('broker down'))
      .mockResolvedValue(undefined);
    const connectOnce = lazyConnect({ connect });

    await expect(connectOnce()).rejects.toThrow('broker down');
    await connectOnce();
    await connectOnce();

    expect(connect).toHaveBeenCalledTimes(2);
  });
});

describe('createKafka', () => {
  it("routes kafkajs's own log lines to the Powertools logger", async () => {
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const kafka = await createKafka(KafkaEnvSchema.parse({ KAFKA_BROKERS: '127.0.0.1:1' }), {
      logger,
    });
    kafka.logger().error('broker unreachable', { broker: '127.0.0.1:1' });
    expect(logger.error.mock.lastCall).toMatchObject([
      'broker unreachable',
      { kafkajs: { broker: '127.0.0.1:1' } },
    ]);
  });
});
