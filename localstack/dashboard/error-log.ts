import type { OutputLine } from '../runtime/function-host';

export interface LoggedError {
  at: string;
  functionName: string;
  message: string;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** Handlers must not log e-mail addresses; the dashboard redacts them anyway, as a second line. */
export function redactEmails(text: string): string {
  return text.replace(EMAIL, '[redacted-email]');
}

function levelOf(text: string): string | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'level' in parsed) {
      const level = (parsed as { level: unknown }).level;
      return typeof level === 'string' ? level.toUpperCase() : undefined;
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
      message: redactEmails(line.text),
    });
    if (this.entries.length > this.capacity) this.entries.shift();
    return true;
  }

  /** Newest first. */
  latest(limit = this.capacity): LoggedError[] {
    return this.entries.slice(-limit).reverse();
  }
}
