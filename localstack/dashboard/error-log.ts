import { z } from 'zod';
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
const LOCAL = /[A-Za-z0-9._%+-]/;
/** The address regex's part after the @, tried at one position (sticky). */
const DOMAIN = /[A-Za-z0-9.-]+\.[A-Za-z]{2,}/y;

/**
 * Replaces what `/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g` matches. Not with that regex:
 * it retries from every start position, and a 250,000-character line without an @ took 109 s.
 * Anchored on each @ instead (the local part walked back from it, never past the previous @ or
 * match; the domain matched forward up to the next @), every character is read a bounded number
 * of times.
 *
 * `limit`: addresses that start past it are not looked for; the result stops at `limit` or
 * at the end of the last address it replaced, whichever is later, so no cut leaves half an
 * address behind. `cut` says where, in `text`, the result stopped.
 */
function redactEmailsUpTo(text: string, limit: number): { text: string; cut: number } {
  let out = '';
  let copied = 0;
  // An address may start before the limit and have its @ after it: look that far too (no real
  // address is longer than MAX_ADDRESS_CHARS, so the look ahead is bounded).
  let reach = limit;
  const reachEnd = Math.min(text.length, limit + MAX_ADDRESS_CHARS);
  while (reach < reachEnd && LOCAL.test(text.charAt(reach))) reach += 1;
  for (let at = text.indexOf('@'); at !== -1 && at <= reach; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > copied && LOCAL.test(text.charAt(start - 1))) start -= 1;
    DOMAIN.lastIndex = at + 1;
    if (start === at || !DOMAIN.test(text)) continue;
    out += text.slice(copied, start) + REDACTED;
    copied = DOMAIN.lastIndex;
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

const LogLineSchema = z.object({ level: z.string().transform((level) => level.toUpperCase()) });

function levelOf(text: string): string | undefined {
  try {
    return text.startsWith('{') ? LogLineSchema.safeParse(JSON.parse(text)).data?.level : undefined;
  } catch {
    return undefined;
  }
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
  latest(): LoggedError[] {
    return [...this.entries].reverse();
  }
}
