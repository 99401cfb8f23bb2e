// `npm run stack -- start|status`: the no-Docker local stack in the foreground, for manual runs.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { probeDynamodb, probeS3 } from './stack/aws-servers';
import { StackEndpointsSchema } from './stack/endpoints';
import { formatTimings, startLocalStack } from './stack/index';
import { probeKafka } from './stack/kafka-server';
import { provisionPipelineResources } from './stack/provision';
import { isProcessAlive } from './stack/server-process';

const endpointsFile = fileURLToPath(new URL('../.stack/endpoints.json', import.meta.url));

const EndpointsFileSchema = z.object({
  pid: z.number().int(),
  startedAt: z.string(),
  endpoints: StackEndpointsSchema,
});

async function start(): Promise<void> {
  const stack = await startLocalStack({ log: (line) => console.log(`[stack] ${line}`) });
  const names = await provisionPipelineResources(stack.endpoints);
  mkdirSync(dirname(endpointsFile), { recursive: true });
  const { endpoints, env } = stack;
  const saved = { pid: process.pid, startedAt: new Date().toISOString(), endpoints, env };
  writeFileSync(endpointsFile, JSON.stringify(saved, null, 2));

  console.log(`\nLocal stack ready: ${formatTimings(stack.timings)}`);
  console.log(`Provisioned: ${JSON.stringify(names)}`);
  console.log(`Endpoints written to ${endpointsFile}\n`);
  for (const [name, value] of Object.entries(env)) console.log(`export ${name}=${value}`);
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
  if (!existsSync(endpointsFile)) {
    console.log(
      'No local stack running (no .stack/endpoints.json). Start one with `npm run stack -- start`.',
    );
    process.exitCode = 1;
    return;
  }
  const saved = EndpointsFileSchema.parse(JSON.parse(readFileSync(endpointsFile, 'utf8')));
  const state = isProcessAlive(saved.pid) ? 'running' : 'gone';
  console.log(`Stack started ${saved.startedAt} by pid ${saved.pid} (${state})`);
  const { endpoints } = saved;
  const { kafkaBrokers: kafka, dynamodbEndpoint: dynamodb, s3Endpoint: s3, region } = endpoints;
  const checks: Array<[string, string, () => Promise<void>]> = [
    ['kafka', kafka, () => probeKafka(kafka)],
    ['dynamodb', dynamodb, () => probeDynamodb(dynamodb, region)],
    ['s3', s3, () => probeS3(s3, region)],
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
