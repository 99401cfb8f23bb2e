import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JvmProfile } from './aws-servers';
import { dynamodbArgs, probeDynamodb, probeS3, s3mockArgs } from './aws-servers';
import { ensureServerJars, runTool, serverVersions } from './artifacts';
import type { ServerName } from './artifacts';
import type { StackEndpoints } from './endpoints';
import { stackEnv } from './endpoints';
import { prepareKafka, probeKafka } from './kafka-server';
import { checkPrerequisites } from './prerequisites';
import type {
  RestartServerOptions,
  ServerGuards,
  ServerLaunchSpec,
  ServerRestart,
} from './server-process';
import { RestartableServer, registerForExitCleanup } from './server-process';

/** How long each server took from spawn to healthy, and the whole stack from call to ready. */
export interface StackTimings {
  perServerMs: Record<string, number>;
  totalMs: number;
}

export function formatTimings(timings: StackTimings): string {
  const servers = Object.entries(timings.perServerMs)
    .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)}s`)
    .join(', ');
  return `total ${(timings.totalMs / 1000).toFixed(1)}s (${servers})`;
}

/** A free loopback port; if another process takes it first, that server fails its health check. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().unref().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface StartLocalStackOptions {
  log?: (line: string) => void;
  /** Keep the servers' data across a restart (README, "Restarting a server"); default in-memory. */
  durable?: boolean;
  /** JVM tuning of DynamoDB Local and S3Mock (`JvmProfile`); default `quick-start`. */
  jvm?: JvmProfile;
}

export interface RunningStack {
  endpoints: StackEndpoints;
  /** AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3, AWS_REGION, dummy credentials, KAFKA_BROKERS. */
  env: Record<string, string>;
  timings: StackTimings;
  /** The current server pids and every watchdog ever started, kept up to date by restarts. */
  processes: { servers: Record<ServerName, number>; reapers: number[] };
  dataDir: string;
  /** Kills one server and starts it again with the same ports and data (README, "Restarting a server"). */
  restartServer(name: ServerName, options?: RestartServerOptions): Promise<ServerRestart>;
  stop(): Promise<void>;
}

const region = 'us-east-1';

/**
 * Starts Kafka (KRaft), DynamoDB Local and S3Mock on free loopback ports, in parallel, and
 * resolves once each answers a real client call. Throws with the failing server's log tail.
 */
export async function startLocalStack(options: StartLocalStackOptions = {}): Promise<RunningStack> {
  const log = options.log ?? (() => undefined);
  const durable = options.durable ?? false;
  const startedAt = Date.now();

  checkPrerequisites();
  // One after another: Maven runs sharing ~/.m2 must not download the same artifact at once.
  const jarDirs = {} as Record<ServerName, string>;
  for (const name of Object.keys(serverVersions) as ServerName[]) {
    jarDirs[name] = await ensureServerJars(name);
  }

  // Server data lives in a fresh temp dir, removed on stop (or by the exit hooks or watchdog).
  const dataDir = mkdtempSync(join(tmpdir(), 'ecom-sync-stack-'));

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

  const guards: ServerGuards = { dataDir, exitCleanupPids: [], reapers: [], serverPids: {} };
  const unregister = registerForExitCleanup(guards);
  const servers = new Map<ServerName, RestartableServer>();

  const stopAll = async (): Promise<void> => {
    await Promise.all([...servers.values()].map((server) => server.stop()));
    unregister();
    rmSync(dataDir, { recursive: true, force: true });
  };

  const perServerMs = {} as Record<ServerName, number>;
  try {
    const kafkaDir = join(dataDir, 'kafka');
    const kafka = prepareKafka({ dir: kafkaDir, port: kafkaPort, controllerPort }, jarDirs.kafka);
    const dynamodbDir = join(dataDir, 'dynamodb');
    const dbPath = durable ? dynamodbDir : undefined;
    const specs: ServerLaunchSpec[] = [
      {
        name: 'dynamodb',
        args: dynamodbArgs(jarDirs.dynamodb, dynamodbPort, dbPath, options.jvm),
        dir: dynamodbDir,
        probe: () => probeDynamodb(endpoints.dynamodbEndpoint, region),
      },
      {
        name: 's3mock',
        args: s3mockArgs({
          jarDir: jarDirs.s3mock,
          version: serverVersions.s3mock,
          httpPort: s3HttpPort,
          httpsPort: s3HttpsPort,
          storeRoot: join(dataDir, 's3mock', 'store'),
          retainStore: durable,
          jvm: options.jvm,
        }),
        dir: join(dataDir, 's3mock'),
        probe: () => probeS3(endpoints.s3Endpoint, region),
      },
      {
        name: 'kafka',
        args: kafka.runArgs,
        dir: kafkaDir,
        probe: () => probeKafka(endpoints.kafkaBrokers),
        extraLogFile: kafka.log4jFile,
      },
    ];
    // Every server exists before any spawns, so a stop after one failed retires the others too.
    for (const spec of specs) servers.set(spec.name, new RestartableServer(spec, guards));

    const launch = async (server: RestartableServer, before?: Promise<void>): Promise<void> => {
      const launchedAt = Date.now();
      await before;
      log(`${server.name} ${serverVersions[server.name]} starting (pid ${server.spawn()})`);
      await server.waitHealthy();
      perServerMs[server.name] = Date.now() - launchedAt;
      log(`${server.name} ready in ${perServerMs[server.name]} ms`);
    };
    // Formatting happens once per stack; a restart reuses the formatted log dir as it is.
    const formatted = runTool('java', kafka.formatArgs, kafkaDir);
    const launches = [...servers.values()].map((server) =>
      launch(server, server.name === 'kafka' ? formatted : undefined),
    );
    // Promise.all below observes them all; this keeps an early rejection from being "unhandled"
    // while the format (which writes into the data dir that stopping removes) is awaited first.
    for (const launched of launches) launched.catch(() => undefined);
    await formatted;
    await Promise.all(launches);
  } catch (error) {
    await stopAll();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const restartServer = async (name: ServerName, restartOptions: RestartServerOptions = {}) => {
    if (stopping) throw new Error(`local stack: cannot restart ${name}, the stack is stopping`);
    const lossy = `local stack: restarting ${name} needs startLocalStack({ durable: true }); without it the restart would silently lose its data`;
    if (!durable && name !== 'kafka') throw new Error(lossy);
    const server = servers.get(name);
    if (!server) throw new Error(`local stack: unknown server ${name}`);
    const restart = await server.restart(restartOptions);
    log(
      `${name} restarted after ${restart.signal} in ${restart.totalMs} ms ` +
        `(exit ${restart.exitMs} ms, down ${restart.downMs} ms, ready ${restart.readyMs} ms, pid ${restart.pid})`,
    );
    return restart;
  };

  return {
    endpoints,
    env: stackEnv(endpoints),
    timings: { perServerMs, totalMs: Date.now() - startedAt },
    // The guards' own objects, so restarts show up here without the caller re-reading anything.
    processes: {
      servers: guards.serverPids as Record<ServerName, number>,
      reapers: guards.reapers,
    },
    dataDir,
    restartServer,
    stop: () => {
      stopping ??= stopAll().then(() => log('stopped'));
      return stopping;
    },
  };
}
