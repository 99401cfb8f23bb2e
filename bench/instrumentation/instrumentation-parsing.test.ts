import { describe, expect, it } from 'vitest';
import { emfSample, parseVmHighWater } from './collector';
import { requestLabel } from './counters';

describe('parseVmHighWater', () => {
  it('reads VmHWM in kB from /proc/<pid>/status', () => {
    expect(
      parseVmHighWater('Name:\tjava\nVmPeak:\t 9000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t 1 kB\n'),
    ).toBe(123456);
    expect(parseVmHighWater('Name:\tjava\n')).toBeUndefined();
  });
});

describe('emfSample', () => {
  it('keeps the timestamp and sums each metric’s values', () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'EcomSync',
            Dimensions: [],
            Metrics: [{ Name: 'RecordsStaged' }, { Name: 'RecordsDuplicate' }],
          },
        ],
      },
      RecordsStaged: [200, 300],
      RecordsDuplicate: 4,
    });
    expect(emfSample('merge-consumer', line)).toEqual({
      functionName: 'merge-consumer',
      timestampMs: 1_700_000_000_000,
      values: { RecordsStaged: 500, RecordsDuplicate: 4 },
    });
  });

  it('ignores log lines', () => {
    expect(emfSample('flush', '{"level":"INFO","message":"hi"}')).toBeUndefined();
    expect(emfSample('flush', 'plain text')).toBeUndefined();
  });
});

describe('requestLabel', () => {
  it('names a request by method and path, without the query', () => {
    expect(requestLabel('http://h/crm/customers?limit=500')).toBe('GET /crm/customers');
    expect(requestLabel(new URL('http://h/analytics/data'), { method: 'post' })).toBe(
      'POST /analytics/data',
    );
    expect(requestLabel(new Request('http://h/x', { method: 'PUT' }))).toBe('PUT /x');
  });
});
