import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dynamodbArgs, probeDynamodb, probeS3, s3mockArgs } from './aws-servers';
import { ensureServerJars, serverVersions } from './artifacts';
import type { ServerName } from './artifacts';
import type { StackEndpoints } from './endpoints';
import { stackEnv } from './endpoints';
import { registerForExitCleanup } from './exit-hooks';
import { formatKafkaStorage, prepareKafka, probeKafka } from './kafka-server';
import { freePort } from './ports';
import { checkPrerequisites } from './prerequisites';
import { startReaper } from './reaper';
import type { ServerProcess } from './server-process';
import { logTail, spawnServer } from './server-process';
import type { StackTimings } from './timings';

export type { StackEndpoints } from './endpoints';
export type { StackTimings } from './timings';
export { formatTimings } from './timings';
export { provisionPipelineResources, defaultResourceNames } from './provision';
export type { PipelineResourceNames } from './provision';

export interface StartLocalStackOptions {
  /** Keep server data here (and keep it after stop); default: a fresh temp dir removed on stop. */
  dataDir?: string;
  log?: (line: string) => void;
  /** How long each server may take to become healthy. */
  startTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL when stopping. */
  stopGraceMs?: number;
}

export interface RunningStack {
  endpoints: StackEndpoints;
  /** AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3, AWS_REGION, dummy credentials, KAFKA_BROKERS. */
  env: Record<string, string>;
  timings: StackTimings;
  /** Server JVM pids and their watchdog pids, so tests can prove nothing is left behind. */
  processes: { servers: Record<ServerName, number>; reapers: number[] };
  dataDir: string;
  stop(): Promise<void>;
}

const region = 'us-east-1';
const healthPollMs = 250;

interface StartedServer {
  name: ServerName;
  process: ServerProcess;
  probe: () => Promise<void>;
  spawnedAt: number;
}

/**
 * Starts Kafka (KRaft), DynamoDB Local and S3Mock on free loopback ports, in parallel, and
 * resolves once each answers a real client call. Throws with the failing server's log tail.
 */
export async function startLocalStack(options: StartLocalStackOptions = {}): Promise<RunningStack> {
  const log = options.log ?? (() => undefined);
  const startTimeoutMs = options.startTimeoutMs ?? 180_000;
  const stopGraceMs = options.stopGraceMs ?? 10_000;
  const startedAt = Date.now();

  checkPrerequisites();
  // One after another: Maven runs sharing ~/.m2 must not download the same artifact at once.
  const jarDirs = {} as Record<ServerName, string>;
  for (const name of Object.keys(serverVersions) as ServerName[]) {
    jarDirs[name] = await ensureServerJars(name);
  }

  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ecom-sync-stack-'));
  mkdirSync(dataDir, { recursive: true });
  const dataDirToRemove = ownsDataDir ? dataDir : undefined;

  const [kafkaPort, controllerPort, dynamodbPort, s3HttpPort, s3HttpsPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const endpoints: StackEndpoints = {
    kafkaBrokers: `127.0.0.1:${kafkaPort}`,
    dynamodbEndpoint: `http://127.0.0.1:${dynamodbPort}`,
    // An IP (not "localhost") makes SDK v3 use path-style requests even when only the
    // AWS_ENDPOINT_URL_S3 env var is set, because bucket subdomains of an IP cannot resolve.
    s3Endpoint: `http://127.0.0.1:${s3HttpPort}`,
    region,
  };

  const pids: number[] = [];
  const reapers: number[] = [];
  const unregister = registerForExitCleanup(pids, dataDirToRemove);
  const started: StartedServer[] = [];

  const launch = (name: ServerName, args: string[], probe: () => Promise<void>): void => {
    const dir = join(dataDir, name);
    mkdirSync(dir, { recursive: true });
    const spawnedAt = Date.now();
    const child = spawnServer({
      name,
      command: 'java',
      args,
      cwd: dir,
      logFile: join(dir, 'console.log'),
    });
    pids.push(child.pid);
    started.push({ name, process: child, probe, spawnedAt });
    // One watchdog per JVM, started the moment it exists, so no window is unguarded.
    reapers.push(startReaper([child.pid], stopGraceMs, dataDirToRemove));
    log(`${name} ${serverVersions[name]} starting (pid ${child.pid})`);
  };

  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((server) => server.process.stop(stopGraceMs)));
    unregister();
    if (dataDirToRemove) rmSync(dataDirToRemove, { recursive: true, force: true });
  };

  const perServerMs = {} as Record<ServerName, number>;
  try {
    launch('dynamodb', dynamodbArgs(jarDirs.dynamodb, dynamodbPort), () =>
      probeDynamodb(endpoints.dynamodbEndpoint, region),
    );
    launch(
      's3mock',
      s3mockArgs(
        jarDirs.s3mock,
        serverVersions.s3mock,
        s3HttpPort,
        s3HttpsPort,
        join(dataDir, 's3mock', 'store'),
      ),
      () => probeS3(endpoints.s3Endpoint, region),
    );
    const kafkaDir = join(dataDir, 'kafka');
    const kafkaFormatStartedAt = Date.now();
    const kafkaSetup = prepareKafka(
      { dir: kafkaDir, port: kafkaPort, controllerPort },
      jarDirs.kafka,
    );
    await formatKafkaStorage(kafkaSetup.formatArgs, kafkaDir, join(kafkaDir, 'format.log'));
    launch('kafka', kafkaSetup.runArgs, () => probeKafka(endpoints.kafkaBrokers));
    const kafkaServer = started.find((server) => server.name === 'kafka');
    if (kafkaServer) kafkaServer.spawnedAt = kafkaFormatStartedAt;

    await Promise.all(
      started.map(async (server) => {
        const extraLog = server.name === 'kafka' ? kafkaSetup.log4jFile : undefined;
        await waitHealthy(server, startTimeoutMs, extraLog);
        perServerMs[server.name] = Date.now() - server.spawnedAt;
        log(`${server.name} ready in ${perServerMs[server.name]} ms`);
      }),
    );
  } catch (error) {
    await stopAll();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    endpoints,
    env: stackEnv(endpoints),
    timings: { perServerMs, totalMs: Date.now() - startedAt },
    processes: {
      servers: Object.fromEntries(
        started.map((server) => [server.name, server.process.pid]),
      ) as Record<ServerName, number>,
      reapers,
    },
    dataDir,
    stop: () => {
      stopping ??= stopAll().then(() => log('stopped'));
      return stopping;
    },
  };
}

async function waitHealthy(
  server: StartedServer,
  timeoutMs: number,
  extraLogFile: string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (server.process.hasExited()) {
      throw startFailure(
        server,
        `exited (${await server.process.exited}) before becoming healthy`,
        extraLogFile,
      );
    }
    try {
      await server.probe();
      return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, healthPollMs));
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw startFailure(
    server,
    `was not healthy after ${timeoutMs} ms (last probe error: ${reason})`,
    extraLogFile,
  );
}

function startFailure(
  server: StartedServer,
  what: string,
  extraLogFile: string | undefined,
): Error {
  const tails = [`--- ${server.process.logFile} ---\n${logTail(server.process.logFile)}`];
  if (extraLogFile) tails.push(`--- ${extraLogFile} ---\n${logTail(extraLogFile)}`);
  return new Error(`local stack: ${server.name} ${what}\n${tails.join('\n')}`);
}
