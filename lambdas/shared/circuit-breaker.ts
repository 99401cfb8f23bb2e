/** Thrown instead of calling a dependency while the breaker is open. */
export class CircuitOpenError extends Error {
  constructor(message = 'circuit breaker is open') {
    super(message);
    this.name = 'CircuitOpenError';
  }
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
 * (half-open); the trial's outcome closes or re-opens it. Hand-written with HttpClient: see there.
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
