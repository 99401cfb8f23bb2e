import { afterEach, describe, expect, it } from 'vitest';
import type { CrashSlots } from './crash';
import {
  CRASH_PLAN_ENV,
  crashPlanEnv,
  createCrashDecider,
  describeCrashes,
  expireCrashedFlushLease,
  fileCrashSlots,
  readCrashPlan,
  readCrashes,
  watchCrashes,
} from './crash';
import { mulberry32 } from '../../lambdas/mock-apis/prng';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

function countingSlots(budget: number): CrashSlots & { taken: string[] } {
  const taken: string[] = [];
  return {
    taken,
    claim(operation) {
      if (taken.length >= budget) return false;
      taken.push(operation);
      return true;
    },
  };
}

describe('createCrashDecider', () => {
  it('never crashes after an operation without a probability, and never draws for it', () => {
    let draws = 0;
    const slots = countingSlots(10);
    const decide = createCrashDecider({
      probabilities: { 'DynamoDB.PutItem': 1 },
      random: () => {
        draws++;
        return 0;
      },
      slots,
    });
    expect(decide('S3.GetObject')).toBe(false);
    expect(draws).toBe(0);
    expect(slots.taken).toEqual([]);
  });

  it('crashes when the draw is below the probability, and takes a slot for it', () => {
    const draws = [0.2, 0.09];
    const slots = countingSlots(10);
    const decide = createCrashDecider({
      probabilities: { 'S3.PutObject': 0.1 },
      random: () => draws.shift() ?? 1,
      slots,
    });
    expect(decide('S3.PutObject')).toBe(false);
    expect(decide('S3.PutObject')).toBe(true);
    expect(slots.taken).toEqual(['S3.PutObject']);
  });

  it('stops crashing once the run-wide budget is spent', () => {
    const slots = countingSlots(3);
    const decide = createCrashDecider({
      probabilities: { 'Analytics.POST': 1 },
      random: Math.random,
      slots,
    });
    const outcomes = Array.from({ length: 10 }, () => decide('Analytics.POST'));
    expect(outcomes.filter(Boolean)).toHaveLength(3);
    expect(outcomes.slice(3).some(Boolean)).toBe(false);
  });

  it('crashes at about the planned rate, reproducibly for a seed', () => {
    const run = (seed: number): boolean[] => {
      const decide = createCrashDecider({
        probabilities: { 'DynamoDB.UpdateItem': 0.05 },
        random: mulberry32(seed),
        slots: countingSlots(Number.POSITIVE_INFINITY),
      });
      return Array.from({ length: 10_000 }, () => decide('DynamoDB.UpdateItem'));
    };
    const crashes = run(7).filter(Boolean).length;
    expect(crashes).toBeGreaterThan(400);
    expect(crashes).toBeLessThan(600);
    expect(run(7)).toEqual(run(7));
    expect(run(8)).not.toEqual(run(7));
  });
});

const plan = {
  seed: 42,
  maxCrashes: 5,
  probabilities: { 'DynamoDB.PutItem': 0.01, 'S3.PutObject': 0.2 },
  slotDir: '/tmp/crashes',
};

describe('crash plan env', () => {
  it('round-trips through the function environment', () => {
    expect(readCrashPlan(crashPlanEnv(plan))).toEqual(plan);
  });

  it('refuses a missing or invalid plan instead of running without faults', () => {
    expect(() => readCrashPlan({})).toThrow(CRASH_PLAN_ENV);
    expect(() =>
      readCrashPlan({ [CRASH_PLAN_ENV]: JSON.stringify({ ...plan, probabilities: { x: 2 } }) }),
    ).toThrow();
    expect(() => crashPlanEnv({ ...plan, maxCrashes: -1 })).toThrow();
  });
});

describe('describeCrashes', () => {
  it('counts crashes per operation, with what the operation means', () => {
    expect(
      describeCrashes(
        ['S3.PutObject', 'DynamoDB.PutItem', 'DynamoDB.PutItem', 'DynamoDB.DeleteItem'],
        20,
        { 'DynamoDB.PutItem': 'claim PutItem', 'S3.PutObject': 'staging PutObject' },
      ),
    ).toBe(
      '4 crashes (budget 20): 1 after DynamoDB.DeleteItem, 2 after claim PutItem (DynamoDB.PutItem), ' +
        '1 after staging PutObject (S3.PutObject)',
    );
  });

  it('says so when nothing crashed', () => {
    expect(describeCrashes([], 3)).toBe('0 crashes (budget 3)');
    expect(describeCrashes(['Analytics.POST'], 3)).toBe(
      '1 crash (budget 3): 1 after Analytics.POST',
    );
  });
});

const dirs: string[] = [];
function slotDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crash-slots-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('fileCrashSlots', () => {
  it('hands out exactly the budget and records the operation of each crash', () => {
    const dir = slotDir();
    const slots = fileCrashSlots(dir, 2);
    expect(slots.claim('DynamoDB.PutItem')).toBe(true);
    expect(slots.claim('S3.PutObject')).toBe(true);
    expect(slots.claim('DynamoDB.PutItem')).toBe(false);
    expect(readCrashes(dir).sort()).toEqual(['DynamoDB.PutItem', 'S3.PutObject']);
  });

  it('shares the budget between environments (a replacement sees the slots the dead one took)', () => {
    const dir = slotDir();
    expect(fileCrashSlots(dir, 3).claim('a')).toBe(true);
    const second = fileCrashSlots(dir, 3);
    expect(second.claim('b')).toBe(true);
    expect(fileCrashSlots(dir, 3).claim('c')).toBe(true);
    expect(second.claim('d')).toBe(false);
    expect(fileCrashSlots(dir, 3).claim('e')).toBe(false);
    expect(readCrashes(dir)).toHaveLength(3);
  });

  it('caps the crashes after one operation, so another still gets its share', () => {
    const dir = slotDir();
    const slots = fileCrashSlots(dir, 3, 2);
    expect(slots.claim('DynamoDB.BatchGetItem')).toBe(true);
    expect(fileCrashSlots(dir, 3, 2).claim('DynamoDB.BatchGetItem')).toBe(true);
    expect(slots.claim('DynamoDB.BatchGetItem')).toBe(false);
    expect(slots.claim('S3.PutObject')).toBe(true);
    expect(slots.claim('S3.PutObject')).toBe(false);
    expect(readCrashes(dir).sort()).toEqual([
      'DynamoDB.BatchGetItem',
      'DynamoDB.BatchGetItem',
      'S3.PutObject',
    ]);
  });

  it('never crashes with a budget of zero', () => {
    const dir = slotDir();
    expect(fileCrashSlots(dir, 0).claim('a')).toBe(false);
    expect(readCrashes(dir)).toEqual([]);
  });

  it('fails loudly when the slot directory is missing instead of silently never crashing', () => {
    const missing = join(slotDir(), 'missing');
    expect(() => fileCrashSlots(missing, 1).claim('a')).toThrow(/ENOENT/);
  });
});

describe('watchCrashes', () => {
  it('reports each crash once, in order, as slots are taken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crash-watch-'));
    dirs.push(dir);
    const slots = fileCrashSlots(dir, 5);
    const seen: string[] = [];
    const stop = watchCrashes(
      dir,
      async (operation, count) => {
        seen.push(`${count}:${operation}`);
      },
      10,
    );
    slots.claim('Analytics.POST');
    await expect.poll(() => seen).toEqual(['1:Analytics.POST']);
    slots.claim('Analytics.POST');
    await expect.poll(() => seen).toEqual(['1:Analytics.POST', '2:Analytics.POST']);
    await stop();
    slots.claim('Analytics.POST');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toHaveLength(2);
  });
});

const dynamodb = new DynamoDBClient({ region: 'us-east-1' });
const mock = mockClient(dynamodb);
afterEach(() => mock.reset());

describe('expireCrashedFlushLease', () => {
  it('moves the held lease into the past, conditional on the owner read', async () => {
    mock
      .on(GetItemCommand)
      .resolves({ Item: { source: { S: 'flush#lease' }, owner: { S: 'dead-run' } } });
    mock.on(UpdateItemCommand).resolves({});
    await expect(expireCrashedFlushLease(dynamodb, 'sync-state')).resolves.toBe('dead-run');
    const update = mock.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(update.Key).toEqual({ source: { S: 'flush#lease' } });
    expect(update.ConditionExpression).toBe('#owner = :owner');
    expect(update.ExpressionAttributeValues).toEqual({
      ':past': { N: '0' },
      ':owner': { S: 'dead-run' },
    });
  });

  it('does nothing when no lease is held', async () => {
    mock.on(GetItemCommand).resolves({});
    await expect(expireCrashedFlushLease(dynamodb, 'sync-state')).resolves.toBeUndefined();
    expect(mock.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it('leaves a lease another owner took meanwhile', async () => {
    mock.on(GetItemCommand).resolves({ Item: { owner: { S: 'dead-run' } } });
    mock
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    await expect(expireCrashedFlushLease(dynamodb, 'sync-state')).resolves.toBeUndefined();
  });
});
