import { describe, expect, it, vi } from 'vitest';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ErrorLog, MAX_MESSAGE_CHARS, boundedMessage, redactEmails } from './error-log';

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

  it("does not list Powertools Metrics' own warnings: they are WARN log lines", () => {
    const written: Array<{ stream: 'stdout' | 'stderr'; text: string }> = [];
    const capture = (stream: 'stdout' | 'stderr') =>
      vi.spyOn(process[stream], 'write').mockImplementation((chunk: unknown) => {
        written.push({ stream, text: String(chunk) });
        return true;
      });
    const spies = [capture('stdout'), capture('stderr')];
    try {
      // As the handlers build them: Metrics' own warnings through the Powertools logger.
      const logger = new Logger({ serviceName: 'flush' });
      const metrics = new Metrics({ namespace: 'EcomSync', serviceName: 'flush', logger });
      metrics.publishStoredMetrics();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(written.map((line) => line.text).join('')).toContain(
      'No application metrics to publish',
    );
    const log = new ErrorLog();
    for (const { stream, text } of written)
      for (const line of text.split('\n').filter((part) => part !== ''))
        log.observe({ functionName: 'flush', stream, text: line });
    expect(log.latest()).toEqual([]);
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

describe('e-mail redaction', () => {
  const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

  it('replaces exactly what the e-mail regex matches', () => {
    // Deterministic pseudo-random strings over the characters that matter to the regex.
    const alphabet = 'ab.@-_+%1Z ';
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    for (let round = 0; round < 5_000; round += 1) {
      let text = '';
      const length = next() % 40;
      for (let index = 0; index < length; index += 1)
        text += alphabet.charAt(next() % alphabet.length);
      expect(redactEmails(text), JSON.stringify(text)).toBe(
        text.replace(EMAIL, '[redacted-email]'),
      );
    }
    for (const text of ['a@b.io.x', 'x@y@b.io', 'a@b.io.c@d.io', 'q@-.ab', '.@a.bc.de1', '@a.io'])
      expect(redactEmails(text), text).toBe(text.replace(EMAIL, '[redacted-email]'));
  });

  /** CPU milliseconds, not wall time: on a busy machine the wall clock counts other processes. */
  const timed = (text: string): number => {
    const startedAt = process.cpuUsage();
    redactEmails(text);
    const used = process.cpuUsage(startedAt);
    return (used.user + used.system) / 1_000;
  };

  it('takes time linear in the line: a 250,000-character line in well under a second', () => {
    // The line that froze npm start for 109 s: one long batchId, address-like characters, no @.
    const line = (n: number): string => `{"level":"ERROR","batchId":"${'a'.repeat(n)}"}`;
    const worstCase = (n: number): string => `${'a.'.repeat(n / 4)}@${'b.'.repeat(n / 4)}`;
    expect(timed(line(250_000))).toBeLessThan(1_000);
    expect(timed(worstCase(250_000))).toBeLessThan(1_000);
    // Quadratic would be 16x for 4x the input; linear stays near 4x. Minimum of several runs,
    // interleaved, so that a busy machine's spikes do not count.
    const shapes = [worstCase, (n: number): string => 'a@'.repeat(n / 2)];
    for (const make of shapes) {
      const small = make(1_000_000);
      const large = make(4_000_000);
      const times = { small: Infinity, large: Infinity };
      for (let run = 0; run < 9; run += 1) {
        times.small = Math.min(times.small, timed(small));
        times.large = Math.min(times.large, timed(large));
      }
      expect(times.large / Math.max(times.small, 1)).toBeLessThan(10);
    }
  });

  it('bounds what one entry keeps, without cutting an address in half', () => {
    const log = new ErrorLog(5);
    const long = `ERROR ${'x'.repeat(MAX_MESSAGE_CHARS - 10)} jane.doe@example.com ${'y'.repeat(250_000)}`;
    log.observe({ functionName: 'flush', stream: 'stderr', text: long });
    const [entry] = log.latest();
    expect(entry?.message.length).toBeLessThan(MAX_MESSAGE_CHARS + 100);
    expect(entry?.message).toContain('[redacted-email]');
    expect(entry?.message).not.toContain('jane.doe');
    expect(entry?.message).toMatch(/… \[\d+ more characters\]$/);
    expect(boundedMessage('short a@b.io')).toBe('short [redacted-email]');
  });
});
