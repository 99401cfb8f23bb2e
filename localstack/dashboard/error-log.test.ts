import { describe, expect, it } from 'vitest';
import { ErrorLog, redactEmails } from './error-log';

describe('ErrorLog', () => {
  it('keeps ERROR and CRITICAL JSON lines and plain stderr, newest first, e-mails redacted', () => {
    const log = new ErrorLog(10);
    const at = new Date('2026-01-01T00:00:00Z');
    expect(
      log.observe(
        { functionName: 'flush', stream: 'stdout', text: '{"level":"INFO","message":"ok"}' },
        at,
      ),
    ).toBe(false);
    expect(
      log.observe(
        {
          functionName: 'flush',
          stream: 'stdout',
          text: '{"level":"ERROR","message":"post failed for jane.doe@example.com"}',
        },
        at,
      ),
    ).toBe(true);
    log.observe({ functionName: 'poll-crm', stream: 'stderr', text: 'TypeError: boom' }, at);
    log.observe({ functionName: 'poll-crm', stream: 'stdout', text: 'plain stdout line' }, at);
    expect(log.latest()).toEqual([
      { at: at.toISOString(), functionName: 'poll-crm', message: 'TypeError: boom' },
      {
        at: at.toISOString(),
        functionName: 'flush',
        message: '{"level":"ERROR","message":"post failed for [redacted-email]"}',
      },
    ]);
  });

  it('is bounded', () => {
    const log = new ErrorLog(2);
    for (const text of ['a', 'b', 'c'])
      log.observe({ functionName: 'flush', stream: 'stderr', text });
    expect(log.latest().map((entry) => entry.message)).toEqual(['c', 'b']);
  });

  it('redacts every address in a line', () => {
    expect(redactEmails('a@b.io and x.y+z@mail.example.org')).toBe(
      '[redacted-email] and [redacted-email]',
    );
  });
});
