import type { OutputLine } from '../runtime/function-host';

export interface LoggedError {
  at: string;
  functionName: string;
  message: string;
}

/** What one "Latest errors" entry keeps of a line; CloudWatch itself cuts events at 256 KB. */
export const MAX_MESSAGE_CHARS = 2_000;
const REDACTED = '[redacted-email]';
/** RFC 5321: a 64-character local part, @, a 255-character domain. */
const MAX_ADDRESS_CHARS = 320;

// Character classes as a table: one array read per character, even before the JIT warms up.
const LETTER = 1;
const DOMAIN = 2; // [A-Za-z0-9.-]
const LOCAL = 4; // [A-Za-z0-9._%+-]
const classes = new Uint8Array(128);
for (let c = 0; c < 128; c += 1) {
  const char = String.fromCharCode(c);
  classes[c] =
    (/[A-Za-z]/.test(char) ? LETTER : 0) |
    (/[A-Za-z0-9.-]/.test(char) ? DOMAIN : 0) |
    (/[A-Za-z0-9._%+-]/.test(char) ? LOCAL : 0);
}
const DOT = 46;
const is = (text: string, index: number, kind: number): boolean => {
  const c = text.charCodeAt(index);
  return c < 128 && ((classes[c] ?? 0) & kind) !== 0;
};

/**
 * Replaces what `/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g` matches, in one pass. Written by
 * hand because that regex retries from every start position: a 250,000-character line without an
 * address took 109 s. Here each character is looked at a bounded number of times: the local part
 * is found by walking back from each `@` (never past the previous `@` or match), the domain by
 * walking forward to the end of its run, and the run is the regex's backtracking done once.
 *
 * `limit`: addresses that start past it are not looked for; the result stops at `limit` or
 * at the end of the last address it replaced, whichever is later, so no cut leaves half an
 * address behind. `cut` says where, in `text`, the result stopped.
 */
export function redactEmailsUpTo(text: string, limit: number): { text: string; cut: number } {
  let out = '';
  let copied = 0;
  // An address may start before the limit and have its @ after it: look that far too (no real
  // address is longer than MAX_ADDRESS_CHARS, so the look ahead is bounded).
  let reach = limit;
  const reachEnd = Math.min(text.length, limit + MAX_ADDRESS_CHARS);
  while (reach < reachEnd && is(text, reach, LOCAL)) reach += 1;
  let at = text.indexOf('@');
  while (at !== -1 && at <= reach) {
    let start = at;
    while (start > copied && is(text, start - 1, LOCAL)) start -= 1;
    let runEnd = at + 1;
    while (runEnd < text.length && is(text, runEnd, DOMAIN)) runEnd += 1;
    // The regex's domain part backtracks to the last dot (with a domain character before it) that
    // two letters follow; its top-level domain then takes every letter after that dot.
    let end = -1;
    for (let dot = runEnd - 3; dot >= at + 2 && start < at; dot -= 1) {
      if (text.charCodeAt(dot) === DOT && is(text, dot + 1, LETTER) && is(text, dot + 2, LETTER)) {
        end = dot + 3;
        while (end < runEnd && is(text, end, LETTER)) end += 1;
        break;
      }
    }
    if (end === -1) {
      at = text.indexOf('@', at + 1);
      continue;
    }
    out += text.slice(copied, start) + REDACTED;
    copied = end;
    at = text.indexOf('@', end);
  }
  const cut = Math.max(copied, Math.min(limit, text.length));
  return { text: out + text.slice(copied, cut), cut };
}

/** Handlers must not log e-mail addresses; the dashboard redacts them anyway, as a second line. */
export function redactEmails(text: string): string {
  return redactEmailsUpTo(text, text.length).text;
}

/** A line as one entry keeps it: redacted, at most about MAX_MESSAGE_CHARS, the cut marked. */
export function boundedMessage(text: string): string {
  const { text: kept, cut } = redactEmailsUpTo(text, MAX_MESSAGE_CHARS);
  return cut < text.length ? `${kept} … [${text.length - cut} more characters]` : kept;
}

function levelOf(text: string): string | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'level' in parsed) {
      return typeof parsed.level === 'string' ? parsed.level.toUpperCase() : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * The latest ERROR lines of the handlers' output: Powertools JSON lines at ERROR/CRITICAL, and
 * plain stderr lines (an uncaught exception prints as text, not JSON).
 */
export class ErrorLog {
  private readonly entries: LoggedError[] = [];

  constructor(private readonly capacity = 50) {}

  observe(line: OutputLine, now = new Date()): boolean {
    const level = levelOf(line.text);
    const isError =
      level === 'ERROR' ||
      level === 'CRITICAL' ||
      (level === undefined && line.stream === 'stderr' && line.text.trim() !== '');
    if (!isError) return false;
    this.entries.push({
      at: now.toISOString(),
      functionName: line.functionName,
      message: boundedMessage(line.text),
    });
    if (this.entries.length > this.capacity) this.entries.shift();
    return true;
  }

  /** Newest first. */
  latest(limit = this.capacity): LoggedError[] {
    return this.entries.slice(-limit).reverse();
  }
}
