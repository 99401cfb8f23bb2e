import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ScheduleOutcome } from './scheduler';
import { Scheduler } from './scheduler';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Scheduler', () => {
  it('fires each schedule with an EventBridge scheduled event at its scaled rate', async () => {
    const events: unknown[] = [];
    const scheduler = new Scheduler({
      targets: [
        {
          functionName: 'flush',
          rateMinutes: 1,
          invoke: async (event) => void events.push(['flush', event]),
        },
        {
          functionName: 'poll-crm',
          rateMinutes: 5,
          invoke: async (event) => void events.push(['poll-crm', event]),
        },
      ],
      tickMs: 100,
      region: 'eu-west-1',
      account: '000000000000',
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1_000);
    await scheduler.stop();
    const names = events.map((entry) => (entry as [string, unknown])[0]);
    expect(names.filter((name) => name === 'flush')).toHaveLength(11);
    expect(names.filter((name) => name === 'poll-crm')).toHaveLength(3);
    const [, event] = events[0] as [string, Record<string, unknown>];
    expect(event).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      region: 'eu-west-1',
      resources: ['arn:aws:events:eu-west-1:000000000000:rule/ecom-sync-flush-schedule'],
      detail: {},
    });
    expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('skips a tick while the previous invocation of the same function runs', async () => {
    let running = 0;
    let maxRunning = 0;
    const outcomes: ScheduleOutcome[] = [];
    const scheduler = new Scheduler({
      targets: [
        {
          functionName: 'flush',
          rateMinutes: 1,
          invoke: async () => {
            running += 1;
            maxRunning = Math.max(maxRunning, running);
            await new Promise((resolve) => setTimeout(resolve, 350));
            running -= 1;
          },
        },
      ],
      tickMs: 100,
      region: 'eu-west-1',
      account: '000000000000',
      onInvocation: (outcome) => outcomes.push(outcome),
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1_000);
    const stopped = scheduler.stop();
    await vi.advanceTimersByTimeAsync(500);
    await stopped;
    expect(maxRunning).toBe(1);
    expect(outcomes.filter((o) => o.status === 'skipped').length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.status === 'succeeded').length).toBeGreaterThan(1);
  });
});
