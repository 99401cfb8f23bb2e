/**
 * The HTTP client for the source and Analytics APIs: per-attempt timeout, retries with full-jitter
 * backoff, `Retry-After` as a floor, an optional deadline and circuit breaker. Hand-written over
 * `fetch`: no maintained package combines Retry-After (seconds or HTTP date), a caller deadline and
 * a shared breaker (p-retry + opossum would need as much glue), and the SDK's StandardRetryStrategy
 * has a client-wide retry quota that a long error storm drains (aws-sdk-retry.ts).
 */
import { defaultSleep, fullJitterDelay, parseRetryAfterMs } from './retry';

/** The base of every error HttpClient throws: callers catch this one class. */
export class HttpError extends Error {
  override name = 'HttpError';
}

export interface HttpClientOptions {
  timeoutMs: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  breaker?: CircuitBreaker;
  fetchImpl?: typeof fetch;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (info: { attempt: number; delayMs: number; reason: string; status?: number }) => void;
  /** Every failed attempt, retryable or not. */
  onError?: (info: { attempt: number; reason: string; status?: number }) => void;
  /** Clock for `deadline` and HTTP-date `Retry-After`; defaults to Date.now. */
  now?: () => number;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** absolute epoch ms: give up (RetriesExhaustedError) rather than sleep past it */
  deadline?: number;
}

export type HttpResponse = Pick<Response, 'status' | 'headers'> & { body: string };

/**
 * A 4xx other than 429 and 408: a retry would get the same answer. The message, which reaches logs
 * and DLQ reasons, names only status, method and path: a body can echo an e-mail address, a query
 * a token, the host a private endpoint. The body is a property.
 */
export class HttpStatusError extends HttpError {
  override name = 'HttpStatusError';
  constructor(
    readonly status: number,
    readonly body: string,
    { url, method }: HttpRequest,
  ) {
    super(`HTTP ${status} ${method} ${new URL(url).pathname}`);
  }
}

export class RetriesExhaustedError extends HttpError {
  override name = 'RetriesExhaustedError';
  constructor(
    public readonly attempts: number,
    public readonly lastReason: string,
    public readonly lastStatus?: number,
    why = `gave up after ${attempts} attempt(s)`,
    options?: ErrorOptions,
  ) {
    super(`${why}; last failure: ${lastReason}`, options);
  }
}

interface RetryableFailure {
  reason: string;
  status?: number;
  retryAfterMs?: number | undefined;
  /** A 429 means "slow down", not "I am broken": it neither trips nor resets the breaker. */
  countsAsFailure: boolean;
  /** The network error or timeout, for the `cause` of RetriesExhaustedError. */
  error?: unknown;
}

export class HttpClient {
  private readonly now: () => number;

  constructor(private readonly options: HttpClientOptions) {
    if (options.maxAttempts < 1) throw new Error('HttpClient maxAttempts must be >= 1');
    this.now = options.now ?? Date.now;
  }

  /** A 2xx/3xx response, or HttpStatusError, CircuitOpenError (no call made), RetriesExhaustedError. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const { breaker, onError, onRetry } = this.options;
    for (let attempt = 1; ; attempt++) {
      if (req.deadline !== undefined && this.now() >= req.deadline) {
        const reason = 'deadline reached before the attempt';
        throw new RetriesExhaustedError(attempt - 1, reason, undefined, 'deadline reached');
      }
      breaker?.beforeAttempt();
      const outcome = await this.attempt(req);
      if ('body' in outcome) {
        // A coherent answer, even a 4xx, means the server is up: not a breaker failure.
        breaker?.recordSuccess();
        if (outcome.status < 400) return outcome;
        onError?.({ attempt, reason: `HTTP ${outcome.status}`, status: outcome.status });
        throw new HttpStatusError(outcome.status, outcome.body, req);
      }
      const { reason, status } = outcome;
      if (outcome.countsAsFailure) breaker?.recordFailure();
      else breaker?.releaseTrial();
      onError?.({ attempt, reason, status });
      if (attempt >= this.options.maxAttempts) {
        throw new RetriesExhaustedError(attempt, reason, status, undefined, {
          cause: outcome.error,
        });
      }
      // Retry-After is the server telling us the earliest useful moment: a floor, not a cap.
      const jittered = fullJitterDelay(attempt, this.options, this.options.random);
      const delayMs = Math.max(jittered, outcome.retryAfterMs ?? 0);
      if (req.deadline !== undefined && this.now() + delayMs >= req.deadline) {
        const why = `next retry in ${delayMs} ms would pass the deadline`;
        throw new RetriesExhaustedError(attempt, reason, status, why);
      }
      onRetry?.({ attempt, delayMs, reason, status });
      await (this.options.sleep ?? defaultSleep)(delayMs);
    }
  }

  /** The response (2xx-3xx, or a 4xx not worth retrying), or why the attempt may be retried. */
  private async attempt(req: HttpRequest): Promise<HttpResponse | RetryableFailure> {
    const timeoutMs =
      req.deadline === undefined
        ? this.options.timeoutMs
        : Math.max(1, Math.min(this.options.timeoutMs, req.deadline - this.now()));
    let response: Response;
    let body: string;
    try {
      // The signal covers reading the body too, so a server that stalls mid-body times out.
      const { method, headers } = req;
      const signal = AbortSignal.timeout(timeoutMs);
      const fetchImpl = this.options.fetchImpl ?? fetch;
      response = await fetchImpl(req.url, { method, headers, body: req.body, signal });
      body = await response.text();
    } catch (error) {
      return { reason: describeFetchError(error, timeoutMs), countsAsFailure: true, error };
    }
    const { status, headers } = response;
    if (status < 400 || (status < 500 && status !== 408 && status !== 429)) {
      return { status, headers, body };
    }
    const retryAfterMs =
      status === 429 || status === 503
        ? parseRetryAfterMs(headers.get('retry-after'), this.now())
        : undefined;
    return { reason: `HTTP ${status}`, status, retryAfterMs, countsAsFailure: status !== 429 };
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (!(error instanceof Error)) return `network error: ${String(error)}`;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') {
    return `timeout after ${timeoutMs} ms`;
  }
  const causeText = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `network error: ${error.message}${causeText}`;
}

export class CircuitOpenError extends HttpError {
  override name = 'CircuitOpenError';
}

/**
 * After `threshold` failed attempts in a row, fails fast (CircuitOpenError) for `cooldownMs`, then
 * lets one trial through (half-open), whose outcome closes or re-opens it.
 */
export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openedAt: number | undefined;
  private trialInFlight = false;
  private readonly now: () => number;

  constructor(
    private readonly options: {
      threshold: number;
      cooldownMs: number;
      now?: () => number;
      /** Each trip: closed → open, or a failed half-open trial. */
      onOpen?: () => void;
    },
  ) {
    if (options.threshold < 1) throw new Error('CircuitBreaker threshold must be >= 1');
    this.now = options.now ?? Date.now;
  }

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.options.cooldownMs ? 'half-open' : 'open';
  }

  /** Call before each attempt: throws CircuitOpenError when the attempt must not be made. */
  beforeAttempt(): void {
    const state = this.state;
    if (state === 'closed') return;
    if (state === 'half-open' && !this.trialInFlight) {
      this.trialInFlight = true;
      return;
    }
    throw new CircuitOpenError(
      state === 'open'
        ? `circuit breaker is open after ${this.consecutiveFailures} consecutive failures`
        : 'circuit breaker is half-open and its trial attempt is in flight',
    );
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.openedAt = undefined;
    this.trialInFlight = false;
  }

  recordFailure(): void {
    this.consecutiveFailures += 1;
    const wasTrial = this.trialInFlight;
    this.trialInFlight = false;
    const trips = this.openedAt === undefined && this.consecutiveFailures >= this.options.threshold;
    if (!wasTrial && !trips) return;
    this.openedAt = this.now();
    this.options.onOpen?.();
  }

  /** Ends a trial that produced neither success nor failure (e.g. a 429), so another may run. */
  releaseTrial(): void {
    this.trialInFlight = false;
  }
}

/**
 * `base` + `path`, keeping any path prefix of `base`: `new URL('/analytics/data', base)` would
 * resolve the absolute path against the host and silently drop an API Gateway stage.
 */
export function joinUrl(base: string, path: string): string {
  return new URL(path.replace(/^\/+/, ''), base.endsWith('/') ? base : `${base}/`).toString();
}
