// `npm run stack -- start|status`: the no-Docker local stack in the foreground, for manual runs.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { probeDynamodb, probeS3 } from './stack/aws-servers';
import { formatTimings, startLocalStack } from './stack/index';
import { probeKafka } from './stack/kafka-server';
import { provisionPipelineResources } from './stack/provision';
import { isProcessAlive } from './stack/server-process';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const endpointsFile = join(repoRoot, '.stack', 'endpoints.json');

const EndpointsFileSchema = z.object({
  pid: z.number().int(),
  startedAt: z.string(),
  endpoints: z.object({
    kafkaBrokers: z.string(),
    dynamodbEndpoint: z.string(),
    s3Endpoint: z.string(),
    region: z.string(),
  }),
  env: z.record(z.string(), z.string()),
});

async function start(): Promise<void> {
  const stack = await startLocalStack({ log: (line) => console.log(`[stack] ${line}`) });
  const names = await provisionPipelineResources(stack.endpoints);
  mkdirSync(dirname(endpointsFile), { recursive: true });
  writeFileSync(
    endpointsFile,
    JSON.stringify(
      {
        pid: process.pid,
        startedAt: new Date().toISOString(),
        endpoints: stack.endpoints,
        env: stack.env,
      },
      null,
      2,
    ),
  );

  console.log(`\nLocal stack ready: ${formatTimings(stack.timings)}`);
  console.log(`Provisioned: ${JSON.stringify(names)}`);
  console.log(`Endpoints written to ${endpointsFile}\n`);
  for (const [name, value] of Object.entries(stack.env)) console.log(`export ${name}=${value}`);
  console.log('\nCtrl-C to stop.');

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    console.log('\n[stack] stopping...');
    rmSync(endpointsFile, { force: true });
    void stack.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

async function status(): Promise<void> {
  let raw: string;
  try {
    raw = readFileSync(endpointsFile, 'utf8');
  } catch {
    console.log(
      'No local stack running (no .stack/endpoints.json). Start one with `npm run stack -- start`.',
    );
    process.exitCode = 1;
    return;
  }
  const saved = EndpointsFileSchema.parse(JSON.parse(raw));
  console.log(
    `Stack started ${saved.startedAt} by pid ${saved.pid} (${isProcessAlive(saved.pid) ? 'running' : 'gone'})`,
  );
  const { endpoints } = saved;
  const checks: Array<[string, string, () => Promise<void>]> = [
    ['kafka', endpoints.kafkaBrokers, () => probeKafka(endpoints.kafkaBrokers)],
    [
      'dynamodb',
      endpoints.dynamodbEndpoint,
      () => probeDynamodb(endpoints.dynamodbEndpoint, endpoints.region),
    ],
    ['s3', endpoints.s3Endpoint, () => probeS3(endpoints.s3Endpoint, endpoints.region)],
  ];
  let healthy = true;
  for (const [name, endpoint, probe] of checks) {
    const answer = await probe().then(
      () => 'up',
      (error: unknown) => `DOWN (${error instanceof Error ? error.message : String(error)})`,
    );
    if (answer !== 'up') healthy = false;
    console.log(`  ${name.padEnd(9)} ${endpoint.padEnd(28)} ${answer}`);
  }
  process.exitCode = healthy ? 0 : 1;
}

const command = process.argv[2];
if (command === 'start') {
  await start();
} else if (command === 'status') {
  await status();
} else {
  console.error('usage: npm run stack -- start|status');
  process.exitCode = 2;
}
