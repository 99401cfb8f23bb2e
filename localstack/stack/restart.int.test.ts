import { connect } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Consumer, Producer } from 'kafkajs';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCredentials } from './endpoints';
import type { RunningStack } from './index';
import { startLocalStack } from './index';
import type { ServerRestart } from './server-process';
import { isProcessAlive } from './server-process';

// Chaos scenarios SIGKILL the servers mid-run; this proves a restart keeps every server's data,
// comes back on the same ports, and that clients connected before it carry on after it.
// Its own durable stack: the global-setup stack is in-memory and shared with other files.

const restarts: ServerRestart[] = [];
const pidsEverSeen = new Set<number>();

/** Every pid the stack ever had, so the final check also covers killed incarnations' watchdogs. */
function allPids(stack: RunningStack): number[] {
  return [...Object.values(stack.processes.servers), ...stack.processes.reapers];
}

/** Resolves once nothing accepts connections on the endpoint's port (the JVM is down). */
async function waitUntilRefused(hostPort: string, timeoutMs = 30_000): Promise<void> {
  const { hostname, port } = new URL(hostPort.includes('://') ? hostPort : `tcp://${hostPort}`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    if (refused) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${hostPort} still accepts connections after ${timeoutMs} ms`);
}

async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function recordRestart(
  stack: RunningStack,
  ...args: Parameters<RunningStack['restartServer']>
): Promise<ServerRestart> {
  const restart = await stack.restartServer(...args);
  restarts.push(restart);
  allPids(stack).forEach((pid) => pidsEverSeen.add(pid));
  return restart;
}

describe('restartServer on a durable stack', () => {
  let stack: RunningStack;

  beforeAll(async () => {
    stack = await startLocalStack({ durable: true });
    allPids(stack).forEach((pid) => pidsEverSeen.add(pid));
    return () => stack.stop();
  });

  afterAll(() => {
    console.log(
      'restart figures:\n' +
        restarts
          .map(
            (restart) =>
              `  ${restart.name} ${restart.signal}: healthy again in ${restart.totalMs} ms ` +
              `(exit ${restart.exitMs} ms, down ${restart.downMs} ms, spawn→healthy ${restart.readyMs} ms)`,
          )
          .join('\n'),
    );
  });

  describe('kafka', () => {
    const topic = 'restart-test';
    const groupId = 'restart-test-group';
    const retry = { retries: 30, initialRetryTime: 200, maxRetryTime: 2_000 };
    let kafka: Kafka;
    let producer: Producer;
    let consumer: Consumer;
    const receivedByConsumer: string[] = [];

    beforeAll(async () => {
      kafka = new Kafka({
        clientId: 'restart-test',
        brokers: [stack.endpoints.kafkaBrokers],
        logLevel: logLevel.NOTHING,
        retry,
      });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
      });
      await admin.disconnect();
      producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry,
      });
      consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, retry });
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          receivedByConsumer.push(message.value?.toString() ?? '');
        },
      });
      return async () => {
        await consumer.disconnect();
        await producer.disconnect();
      };
    });

    /** The group's committed offsets summed over the partitions (a fresh admin each time). */
    const committedTotal = async (): Promise<number> => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return (committed?.partitions ?? []).reduce((sum, { offset }) => sum + Number(offset), 0);
      } finally {
        await admin.disconnect();
      }
    };

    const sendValues = (values: string[]) =>
      producer.send({
        topic,
        acks: -1,
        messages: values.map((value) => ({ key: value, value })),
      });

    it('keeps the log and committed offsets over a SIGKILL; connected clients carry on', async () => {
      const before = Array.from({ length: 100 }, (_, index) => `before-${index}`);
      await sendValues(before);
      await eventually(() => receivedByConsumer.length >= 100, 'the consumer to read 100');
      await eventually(async () => (await committedTotal()) === 100, 'offsets committed to 100');
      const pidBefore = stack.processes.servers.kafka;

      // A send issued while the broker is down: the connected producer must deliver it after.
      const restarting = recordRestart(stack, 'kafka', { signal: 'SIGKILL', downMs: 500 });
      await waitUntilRefused(stack.endpoints.kafkaBrokers);
      const sentWhileDown = sendValues(['while-down']);
      await restarting;
      await sentWhileDown;
      const after = Array.from({ length: 10 }, (_, index) => `after-${index}`);
      await sendValues(after);

      expect(stack.processes.servers.kafka).not.toBe(pidBefore);
      expect(isProcessAlive(pidBefore)).toBe(false);
      const expectedAfter = ['while-down', ...after];
      await eventually(
        () => receivedByConsumer.length >= 100 + expectedAfter.length,
        'the consumer to read the messages sent around the restart',
      );
      // Offsets were committed before the kill, so nothing from before comes again.
      expect(receivedByConsumer.slice(100).sort()).toEqual(expectedAfter.sort());

      await eventually(async () => (await committedTotal()) === 111, 'offsets committed to 111');
      const admin = kafka.admin();
      await admin.connect();
      const highWatermarks = await admin.fetchTopicOffsets(topic);
      await admin.disconnect();
      expect(highWatermarks.reduce((sum, { high }) => sum + Number(high), 0)).toBe(111);

      // A fresh group reads the whole log: the 100 from before the kill are still on disk.
      const reader = kafka.consumer({ groupId: 'restart-test-reader' });
      const all: string[] = [];
      await reader.connect();
      await reader.subscribe({ topic, fromBeginning: true });
      await reader.run({
        eachMessage: async ({ message }) => {
          all.push(message.value?.toString() ?? '');
        },
      });
      await eventually(() => all.length >= 111, 'the reader to read 111');
      await reader.disconnect();
      expect(all.sort()).toEqual([...before, ...expectedAfter].sort());
    });
  });

  describe('dynamodb', () => {
    const tableName = 'restart-test';
    // The client a Lambda would hold across the restart; the SDK's standard retry mode treats
    // ECONNREFUSED as transient, and enough attempts span the few seconds the server is down.
    let client: DynamoDBClient;

    beforeAll(async () => {
      client = new DynamoDBClient({
        endpoint: stack.endpoints.dynamodbEndpoint,
        region: stack.endpoints.region,
        credentials: localCredentials,
        maxAttempts: 20,
      });
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      );
      await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
      return () => client.destroy();
    });

    const put = (id: string) =>
      client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { id: { S: id }, note: { S: `item ${id}` } },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
    const get = async (id: string) =>
      (await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } } })))
        .Item;

    it('keeps tables and items over a SIGKILL; a connected client retries through it', async () => {
      await put('before');
      const restarting = recordRestart(stack, 'dynamodb', { signal: 'SIGKILL', downMs: 500 });
      await waitUntilRefused(stack.endpoints.dynamodbEndpoint);
      const putWhileDown = put('while-down');
      await restarting;
      await putWhileDown;

      expect(await get('before')).toEqual({ id: { S: 'before' }, note: { S: 'item before' } });
      expect((await get('while-down'))?.note).toEqual({ S: 'item while-down' });
      await put('after');
      expect((await get('after'))?.note).toEqual({ S: 'item after' });
      // The conditional write still sees the old item: the data is the same database, not a copy.
      await expect(put('before')).rejects.toThrow(/conditional request failed/i);
    });
  });

  describe('s3mock', () => {
    const bucket = 'restart-test';
    let s3: S3Client;

    beforeAll(async () => {
      s3 = new S3Client({
        endpoint: stack.endpoints.s3Endpoint,
        region: stack.endpoints.region,
        credentials: localCredentials,
        forcePathStyle: true,
        maxAttempts: 20,
      });
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      return () => s3.destroy();
    });

    const putObject = (key: string) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${key}` }));
    const read = async (key: string) =>
      (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString();
    const keys = async () =>
      ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? [])
        .map((object) => object.Key)
        .sort();

    it.each(['SIGKILL', 'SIGTERM'] as const)(
      'keeps buckets and objects over a %s restart',
      async (signal) => {
        const key = `staging/${signal}/batch.json`;
        await putObject(key);
        const keysBefore = await keys();

        await recordRestart(stack, 's3mock', { signal });

        const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets ?? [];
        expect(buckets.map((entry) => entry.Name)).toContain(bucket);
        expect(await keys()).toEqual(keysBefore);
        expect(await read(key)).toBe(`body of ${key}`);
        await putObject(`${key}.after`);
        expect(await read(`${key}.after`)).toBe(`body of ${key}.after`);
      },
    );

    // S3Mock 5.2 creates its store cleaner lazily, so today even a clean exit leaves the files;
    // the retain flag makes that a setting rather than an accident. Spring ignores a misspelt
    // property, so check S3Mock actually read it.
    it('runs with retain-files-on-exit bound', () => {
      const consoleLog = readFileSync(join(stack.dataDir, 's3mock', 'console.log'), 'utf8');
      expect(consoleLog).toContain('Will retain files on exit: true');
      expect(consoleLog).not.toContain('Will retain files on exit: false');
    });
  });

  it('leaves no JVM or watchdog behind, including those of killed incarnations', async () => {
    allPids(stack).forEach((pid) => pidsEverSeen.add(pid));
    expect(restarts.length).toBeGreaterThanOrEqual(4);
    expect(pidsEverSeen.size).toBe(6 + 2 * restarts.length);

    await stack.stop();

    const deadline = Date.now() + 10_000;
    let alive = [...pidsEverSeen].filter(isProcessAlive);
    while (alive.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      alive = alive.filter(isProcessAlive);
    }
    expect(alive).toEqual([]);
    expect(existsSync(stack.dataDir)).toBe(false);
    await expect(stack.restartServer('kafka')).rejects.toThrow(/stopping/);
  });
});
