/**
 * The HTTP client every function uses to talk to the source and Analytics APIs: per-attempt
 * timeout, retries with exponential backoff and full jitter, `Retry-After` honoured as a floor,
 * an optional deadline, and an optional circuit breaker.
 *
 * Why hand-written: it is a few dozen lines over the built-in `fetch` (no extra cold-start
 * weight in a Lambda bundle), and no well-kept package combines fetch + Retry-After (seconds or
 * HTTP date) + a caller deadline + a shared circuit breaker; stitching p-retry and opossum
 * together would need as much glue code as this file.
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
  /** Called for every failed attempt (retryable or not). */
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

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * A 4xx other than 429 (and 408): retrying would get the same answer. The message names only
 * status, method and URL path, because it ends up in logs and DLQ reasons: a response body can
 * echo a record (an e-mail address), and a query string can carry cursors or tokens. The body is
 * kept as a property for callers that need it.
 */
export class HttpStatusError extends HttpError {
  override name = 'HttpStatusError';
  constructor(
    public readonly status: number,
    public readonly body: string,
    url = '',
    method?: HttpRequest['method'],
  ) {
    super(['HTTP', status, method, url === '' ? undefined : pathOf(url)].filter(Boolean).join(' '));
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

type AttemptOutcome =
  | { kind: 'ok'; response: HttpResponse }
  | { kind: 'fatal'; response: HttpResponse }
  | {
      kind: 'retry';
      reason: string;
      status?: number;
      retryAfterMs?: number;
      countsAsFailure: boolean;
      /** The network error or timeout, for the `cause` of RetriesExhaustedError. */
      error?: unknown;
    };

export class HttpClient {
  private readonly fetchImpl: typeof fetch;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: HttpClientOptions) {
    if (options.maxAttempts < 1) throw new Error('HttpClient maxAttempts must be >= 1');
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? Date.now;
  }

  /**
   * Resolves with a 2xx/3xx response. Rejects with HttpStatusError (non-retryable 4xx),
   * CircuitOpenError (breaker open, no call made) or RetriesExhaustedError.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const { maxAttempts } = this.options;
    for (let attempt = 1; ; attempt++) {
      if (req.deadline !== undefined && this.now() >= req.deadline) {
        throw new RetriesExhaustedError(
          attempt - 1,
          'deadline reached before the attempt',
          undefined,
          'deadline reached',
        );
      }
      this.options.breaker?.beforeAttempt();
      const outcome = await this.attempt(req);

      if (outcome.kind === 'ok') {
        this.options.breaker?.recordSuccess();
        return outcome.response;
      }
      if (outcome.kind === 'fatal') {
        // The server answered coherently: it is up, so this is not a breaker failure.
        this.options.breaker?.recordSuccess();
        const { status, body } = outcome.response;
        this.options.onError?.({ attempt, reason: `HTTP ${status}`, status });
        throw new HttpStatusError(status, body, req.url, req.method);
      }

      if (outcome.countsAsFailure) this.options.breaker?.recordFailure();
      else this.options.breaker?.releaseTrial();
      this.options.onError?.({ attempt, reason: outcome.reason, status: outcome.status });

      if (attempt >= maxAttempts) {
        throw new RetriesExhaustedError(attempt, outcome.reason, outcome.status, undefined, {
          cause: outcome.error,
        });
      }
      const jittered = fullJitterDelay(attempt, this.options, this.random);
      // Retry-After is the server telling us the earliest useful moment: a floor, not a cap.
      const delayMs = Math.max(jittered, outcome.retryAfterMs ?? 0);
      if (req.deadline !== undefined && this.now() + delayMs >= req.deadline) {
        throw new RetriesExhaustedError(
          attempt,
          outcome.reason,
          outcome.status,
          `next retry in ${delayMs} ms would pass the deadline`,
        );
      }
      this.options.onRetry?.({ attempt, delayMs, reason: outcome.reason, status: outcome.status });
      await this.sleep(delayMs);
    }
  }

  private async attempt(req: HttpRequest): Promise<AttemptOutcome> {
    const timeoutMs =
      req.deadline === undefined
        ? this.options.timeoutMs
        : Math.max(1, Math.min(this.options.timeoutMs, req.deadline - this.now()));
    let response: Response;
    let body: string;
    try {
      // The signal covers reading the body too, so a server that stalls mid-body times out.
      response = await this.fetchImpl(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      body = await response.text();
    } catch (error) {
      const reason = describeFetchError(error, timeoutMs);
      return { kind: 'retry', reason, countsAsFailure: true, error };
    }

    const { status } = response;
    const result: HttpResponse = { status, headers: response.headers, body };
    if (status < 400) return { kind: 'ok', response: result };
    if (status === 429 || status === 503) {
      const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'), this.now());
      // A 429 means "slow down", not "I am broken": it neither trips nor resets the breaker.
      return {
        kind: 'retry',
        reason: `HTTP ${status}`,
        status,
        retryAfterMs,
        countsAsFailure: status === 503,
      };
    }
    if (status >= 500 || status === 408) {
      return { kind: 'retry', reason: `HTTP ${status}`, status, countsAsFailure: true };
    }
    return { kind: 'fatal', response: result };
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError')
      return `timeout after ${timeoutMs} ms`;
    const cause = (error as Error & { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? `: ${cause.message}` : '';
    return `network error: ${error.message}${causeText}`;
  }
  return `network error: ${String(error)}`;
}

/** The path alone: no host (may be a private endpoint), no query (cursors, tokens), no fragment. */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split(/[?#]/, 1)[0] ?? '';
  }
}

/** Thrown instead of calling a dependency while the breaker is open. */
export class CircuitOpenError extends HttpError {
  override name = 'CircuitOpenError';
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failed attempts that open the breaker. */
  threshold: number;
  /** How long the breaker stays open before it lets one trial attempt through. */
  cooldownMs: number;
  now?: () => number;
  /** Called each time the breaker trips (closed → open or a failed half-open trial). */
  onOpen?: () => void;
}

/**
 * Consecutive-failure circuit breaker: after `threshold` failed attempts in a row it fails fast
 * (CircuitOpenError) until `cooldownMs` has passed, then lets exactly one trial through
 * (half-open); the trial's outcome closes or re-opens it. Hand-written: see the top of this file.
 */
export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openedAt: number | undefined;
  private trialInFlight = false;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    if (options.threshold < 1) throw new Error('CircuitBreaker threshold must be >= 1');
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
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
    if (
      wasTrial ||
      (this.openedAt === undefined && this.consecutiveFailures >= this.options.threshold)
    ) {
      this.openedAt = this.now();
      this.options.onOpen?.();
    }
  }

  /** Ends a trial that produced neither success nor failure (e.g. a 429), so another may run. */
  releaseTrial(): void {
    this.trialInFlight = false;
  }
}
