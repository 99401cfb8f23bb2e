/**
 * An execution environment kills itself right AFTER a call succeeded (the side effect landed, the
 * code never saw the answer), as its env's plan says, within a budget shared by the whole run.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { FLUSH_LEASE_ID } from '../../lambdas/flush/lease';
import { tables } from '../../lambdas/shared/pipeline';
import type { SdkClient, SdkClientPrototype } from '../instrumentation/counters';
import { requestLabel } from '../instrumentation/counters';

export const CRASH_PLAN_ENV = 'CHAOS_CRASH_PLAN';
export const ANALYTICS_POST_OPERATION = 'Analytics.POST';

const CrashPlanSchema = z.object({
  /** Mixed with the worker's thread id, so each execution environment draws its own sequence. */
  seed: z.number().int(),
  /** Over every environment of the run. */
  maxCrashes: z.number().int().nonnegative(),
  maxCrashesPerOperation: z.number().int().nonnegative().optional(),
  /** Operation (`DynamoDB.PutItem`, `Analytics.POST`) → probability of crashing right after it. */
  probabilities: z.record(z.string().min(1), z.number().min(0).max(1)),
  slotDir: z.string().min(1),
});
export type CrashPlan = z.output<typeof CrashPlanSchema>;

export function crashPlanEnv(plan: CrashPlan): Record<string, string> {
  return { [CRASH_PLAN_ENV]: JSON.stringify(CrashPlanSchema.parse(plan)) };
}

export function readCrashPlan(env: Record<string, string | undefined>): CrashPlan {
  const raw = env[CRASH_PLAN_ENV];
  if (raw === undefined) throw new Error(`${CRASH_PLAN_ENV} is not set`);
  return CrashPlanSchema.parse(JSON.parse(raw));
}

export interface CrashSlots {
  claim(operation: string): boolean;
}

const slotPrefix = 'crash-';

/**
 * The budget outlives the threads that die, so it is files created exclusively (`wx`, atomic across
 * threads); `maxPerOperation` keeps every invocation's first operation from spending it all.
 */
export function fileCrashSlots(dir: string, maxCrashes: number, maxPerOperation = maxCrashes) {
  const exhausted = new Set<string>();
  const take = (prefix: string, max: number, operation: string): boolean => {
    for (let slot = 0; !exhausted.has(prefix) && slot < max; slot++) {
      try {
        writeFileSync(join(dir, `${prefix}${slot}`), operation, { flag: 'wx' });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    exhausted.add(prefix);
    return false;
  };
  return {
    claim: (operation: string) =>
      !exhausted.has(slotPrefix) &&
      take(`op-${encodeURIComponent(operation)}-`, maxPerOperation, operation) &&
      take(slotPrefix, maxCrashes, operation),
  };
}

export function readCrashes(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith(slotPrefix))
    .map((name) => readFileSync(join(dir, name), 'utf8'));
}

/** After each successful operation: a seeded draw against its probability, then a budget slot. */
export function createCrashDecider(options: {
  probabilities: Readonly<Record<string, number>>;
  random: () => number;
  slots: CrashSlots;
}): (operation: string) => boolean {
  return (operation) => {
    const probability = options.probabilities[operation] ?? 0;
    return probability > 0 && options.random() < probability && options.slots.claim(operation);
  };
}

const SdkClientConfigSchema = z.object({ config: z.object({ serviceId: z.string() }) });

/** `<serviceId>.<operation>` of an SDK call, e.g. `S3.PutObject`. */
export function sdkOperationName(client: unknown, command: unknown): string {
  const serviceId = SdkClientConfigSchema.safeParse(client).data?.config.serviceId ?? 'Unknown';
  return `${serviceId}.${(Object(command) as object).constructor.name.replace(/Command$/, '')}`;
}

interface CrashHookOptions {
  shouldCrash: (operation: string) => boolean;
  crash: (operation: string) => never;
}

/** Wraps `send` of the SDK's base client, which every client inherits; returns the restore. */
export function installSdkCrashHook(prototype: SdkClientPrototype, options: CrashHookOptions) {
  const { send } = prototype;
  prototype.send = function (this: SdkClient, command: unknown, ...rest: unknown[]) {
    if (typeof rest.at(-1) === 'function') return send.call(this, command, ...rest);
    return (send.call(this, command, ...rest) as Promise<unknown>).then((output) => {
      const operation = sdkOperationName(this, command);
      if (options.shouldCrash(operation)) options.crash(operation);
      return output;
    });
  };
  return () => {
    prototype.send = send;
  };
}

/** After a 2xx to `POST /analytics/data`: the payload is delivered, flush never learns it. */
export function crashAfterAnalyticsPost(
  fetchImpl: typeof fetch,
  options: CrashHookOptions,
): typeof fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    const post = /^POST \S*\/analytics\/data$/.test(requestLabel(input, init));
    if (post && response.ok && options.shouldCrash(ANALYTICS_POST_OPERATION)) {
      options.crash(ANALYTICS_POST_OPERATION);
    }
    return response;
  };
}

export function describeCrashes(
  operations: readonly string[],
  budget: number,
  meaning: Readonly<Record<string, string>> = {},
): string {
  const counts = new Map<string, number>();
  for (const operation of operations) counts.set(operation, (counts.get(operation) ?? 0) + 1);
  const parts = [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, count]) => `${count} after ${meaning[op] ? `${meaning[op]} (${op})` : op}`);
  const head = `${operations.length} crash${operations.length === 1 ? '' : 'es'} (budget ${budget})`;
  return parts.length > 0 ? `${head}: ${parts.join(', ')}` : head;
}

/** Polls, since a crashing worker cannot tell anyone; `stop` waits for a running `onCrash`. */
export function watchCrashes(
  slotDir: string,
  onCrash: (operation: string, count: number) => Promise<void>,
  intervalMs = 250,
): () => Promise<void> {
  let seen = 0;
  let running = Promise.resolve();
  let stopped = false;
  const look = async (): Promise<void> => {
    const crashes = readCrashes(slotDir);
    for (const operation of crashes.slice(seen)) if (!stopped) await onCrash(operation, ++seen);
  };
  const timer = setInterval(() => {
    running = running.then(look).catch(() => undefined);
  }, intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}

/**
 * Expires a crashed owner's flush lease as if its ~5 minutes had gone by (the next flush still takes
 * it through its own "expired" condition); conditional on the owner, so a live flush's is untouched.
 */
export async function expireCrashedFlushLease(dynamodb: DynamoDBClient, tableName: string) {
  const key = { [tables.syncState.partitionKey]: { S: FLUSH_LEASE_ID } };
  const lease = await dynamodb.send(
    new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
  );
  const owner = lease.Item?.owner?.S;
  if (owner === undefined) return undefined;
  try {
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET expiresAt = :past',
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':past': { N: '0' }, ':owner': { S: owner } },
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    return undefined;
  }
  return owner;
}
