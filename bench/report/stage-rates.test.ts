import { describe, expect, it } from 'vitest';
import { containingInvocation, stageRate } from './stage-rates';

describe('stageRate', () => {
  it('spans from the start of the first line’s invocation to the last line', () => {
    const rate = stageRate({
      stage: 'staging',
      metric: 'RecordsStaged',
      samples: [
        { functionName: 'merge', timestampMs: 2_000, value: 500 },
        { functionName: 'merge', timestampMs: 3_000, value: 500 },
        { functionName: 'merge', timestampMs: 5_000, value: 0 },
      ],
      invocations: {
        merge: [
          { startMs: 1_000, endMs: 2_010 },
          { startMs: 2_020, endMs: 3_010 },
        ],
      },
    });
    expect(rate).toMatchObject({ records: 1_000, startMs: 1_000, endMs: 3_000, seconds: 2 });
    expect(rate?.recordsPerSecond).toBe(500);
  });

  it('takes the earliest start over functions (two pollers in parallel)', () => {
    const rate = stageRate({
      stage: 'publish',
      metric: 'RecordsPublished',
      samples: [
        { functionName: 'poll-crm', timestampMs: 4_000, value: 300 },
        { functionName: 'poll-inventory', timestampMs: 3_000, value: 300 },
      ],
      invocations: {
        'poll-crm': [{ startMs: 1_000, endMs: 4_000 }],
        'poll-inventory': [{ startMs: 2_000, endMs: 3_000 }],
      },
    });
    expect(rate).toMatchObject({ startMs: 1_000, endMs: 4_000, recordsPerSecond: 200 });
  });

  it('without timings, starts at the first line and leaves its value out', () => {
    const rate = stageRate({
      stage: 'flush',
      metric: 'RecordsDelivered',
      samples: [
        { functionName: 'flush', timestampMs: 1_000, value: 100 },
        { functionName: 'flush', timestampMs: 2_000, value: 300 },
      ],
      invocations: {},
    });
    expect(rate).toMatchObject({ records: 400, seconds: 1, recordsPerSecond: 300 });
  });

  it('is undefined when the stage did no work', () => {
    expect(
      stageRate({
        stage: 'flush',
        metric: 'RecordsDelivered',
        samples: [{ functionName: 'flush', timestampMs: 1, value: 0 }],
        invocations: {},
      }),
    ).toBeUndefined();
  });
});

describe('containingInvocation', () => {
  it('picks the earliest-ending invocation containing the timestamp, with slack after its end', () => {
    const invocations = [
      { startMs: 0, endMs: 100 },
      { startMs: 50, endMs: 80 },
      { startMs: 200, endMs: 300 },
    ];
    expect(containingInvocation(invocations, 60, 0)).toEqual({ startMs: 50, endMs: 80 });
    expect(containingInvocation(invocations, 120, 30)).toEqual({ startMs: 0, endMs: 100 });
    expect(containingInvocation(invocations, 150, 10)).toBeUndefined();
  });
});
