import { describe, expect, it } from 'vitest';
import { CRASH_PLAN_ENV, crashPlanEnv, readCrashPlan } from './crash-plan';

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
