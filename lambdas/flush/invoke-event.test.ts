import { describe, expect, it } from 'vitest';
import { InvalidFlushInvocationError, parseInvokeEvent } from './invoke-event';

describe('parseInvokeEvent', () => {
  it('treats an EventBridge scheduled event as a flush', () => {
    const scheduled = {
      version: '0',
      id: '1',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: '2026-01-01T00:00:00Z',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:123456789012:rule/flush'],
      detail: {},
    };
    expect(parseInvokeEvent(scheduled)).toEqual({ action: 'flush' });
  });

  it('parses the operator commands', () => {
    expect(parseInvokeEvent({ action: 'redrive' })).toEqual({ action: 'redrive' });
    const eventId = 'a'.repeat(64);
    expect(parseInvokeEvent({ action: 'redrive', eventId })).toEqual({
      action: 'redrive',
      eventId,
    });
    expect(parseInvokeEvent({ action: 'list-dlq' })).toEqual({ action: 'list-dlq' });
    expect(parseInvokeEvent({ action: 'flush' })).toEqual({ action: 'flush' });
  });

  it('rejects anything else with a message naming what is accepted', () => {
    for (const bad of [
      undefined,
      {},
      'flush',
      { action: 'purge' },
      { action: 'redrive', eventId: 'nope' },
      { action: 'list-dlq', extra: 1 },
      [],
      null,
      { source: 'aws.scheduler', 'detail-type': 'Scheduled Event' },
    ]) {
      expect(() => parseInvokeEvent(bad), JSON.stringify(bad)).toThrow(InvalidFlushInvocationError);
      expect(() => parseInvokeEvent(bad)).toThrow(/Unsupported flush invocation.*list-dlq/);
    }
  });

  it('says what it got: the schema error for a bad action, the kind of payload otherwise', () => {
    expect(() => parseInvokeEvent({ action: 'purge' })).toThrow(
      /Invalid discriminator value.*action/,
    );
    expect(() => parseInvokeEvent({ action: 'list-dlq', extra: 1 })).toThrow(
      /Unrecognized key: "extra"/,
    );
    expect(() => parseInvokeEvent('flush')).toThrow(/got a string/);
    expect(() => parseInvokeEvent([])).toThrow(/got an array/);
    expect(() => parseInvokeEvent(null)).toThrow(/got null/);
  });
});
