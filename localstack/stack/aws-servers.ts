import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localCredentials } from './endpoints';

/**
 * How the emulators' JVMs are tuned: `quick-start` (tests, `npm start`: C1-only JIT and the serial
 * GC cut start-up CPU) or `throughput` (benchmarks: C2 roughly halves DynamoDB Local's CPU per
 * item, docs/benchmarks.md; the serial GC stays, as parallel GC threads only compete for 2 cores).
 */
export type JvmProfile = 'quick-start' | 'throughput';

const jvmFlags: Record<JvmProfile, { dynamodb: string[]; s3mock: string[] }> = {
  'quick-start': {
    dynamodb: ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'],
    s3mock: ['-Xmx512m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'],
  },
  throughput: {
    dynamodb: ['-Xmx512m', '-XX:+UseSerialGC'],
    s3mock: ['-Xmx512m', '-XX:+UseSerialGC'],
  },
};

/** With `dbPath` (the SQLite file's directory) the data survives a restart; else it is in memory. */
export function dynamodbArgs(
  jarDir: string,
  port: number,
  dbPath?: string,
  jvm: JvmProfile = 'quick-start',
): string[] {
  return [
    ...jvmFlags[jvm].dynamodb,
    // sqlite4java's native libraries are among the copied jars' siblings.
    `-Djava.library.path=${jarDir}`,
    '-cp',
    // The jars, and the compiled loopback launcher next to them (see artifacts.ts).
    `${join(jarDir, '*')}${delimiter}${jarDir}`,
    // ServerRunner with its Jetty connector bound to 127.0.0.1 (maven/dynamodb/LoopbackServerRunner.java).
    'LoopbackServerRunner',
    ...(dbPath === undefined ? ['-inMemory'] : ['-dbPath', dbPath]),
    // One database for every region/credential pair, so all clients see the same tables.
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
}

export interface S3MockLaunch {
  jarDir: string;
  version: string;
  httpPort: number;
  httpsPort: number;
  /** Buckets live here, one folder each, objects and metadata as files. */
  storeRoot: string;
  /** Keep the store on a clean exit (S3Mock deletes it by default) so a restart reloads it. */
  retainStore: boolean;
  jvm?: JvmProfile;
}

const s3mockLoopbackXml = fileURLToPath(new URL('maven/s3mock/loopback.xml', import.meta.url));

export function s3mockArgs(launch: S3MockLaunch): string[] {
  const { jarDir, version, httpPort, httpsPort, storeRoot, retainStore } = launch;
  return [
    ...jvmFlags[launch.jvm ?? 'quick-start'].s3mock,
    '-jar',
    join(jarDir, `s3mock-${version}-exec.jar`),
    // server.port is S3Mock's HTTPS connector; the plain-HTTP one has its own property.
    `--server.port=${httpsPort}`,
    `--com.adobe.testing.s3mock.http-port=${httpPort}`,
    // Loopback only: server.address binds the HTTPS connector, loopback.xml the HTTP one.
    '--server.address=127.0.0.1',
    `--spring.main.sources=file:${s3mockLoopbackXml}`,
    `--com.adobe.testing.s3mock.store.root=${storeRoot}`,
    `--com.adobe.testing.s3mock.store.retain-files-on-exit=${retainStore}`,
  ];
}

/** The health probes: one attempt at a real client call (no SDK retries). */
function probeClientConfig(endpoint: string, region: string) {
  return { endpoint, region, credentials: localCredentials, maxAttempts: 1 };
}

export async function probeDynamodb(endpoint: string, region: string): Promise<void> {
  const client = new DynamoDBClient(probeClientConfig(endpoint, region));
  await client.send(new ListTablesCommand({})).finally(() => client.destroy());
}

export async function probeS3(endpoint: string, region: string): Promise<void> {
  const client = new S3Client({ ...probeClientConfig(endpoint, region), forcePathStyle: true });
  await client.send(new ListBucketsCommand({})).finally(() => client.destroy());
}
