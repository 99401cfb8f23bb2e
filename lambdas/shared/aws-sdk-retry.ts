import { StandardRetryStrategy } from '@smithy/util-retry';
import type {
  RetryErrorInfo,
  RetryStrategyV2,
  RetryToken,
  StandardRetryBackoffStrategy,
  StandardRetryToken,
} from '@smithy/types';
import { pipeline } from './pipeline';
import { fullJitterDelay } from './retry';

export interface AwsSdkRetrySettings {
  /** Attempts per SDK call, the first one included. */
  maxAttempts: number;
  /** Backoff base for transient errors (the SDK raises it to 1 s for throttling). */
  baseDelayMs: number;
  /** Cap of one backoff delay. */
  maxDelayMs: number;
  random?: () => number;
}

/**
 * A retry strategy that gives every SDK call its full `maxAttempts`, however many calls fail at
 * the same time.
 *
 * Why not the SDK's `StandardRetryStrategy` as it is: all calls of one client share a single
 * retry quota (500 tokens; a connection error costs 14 in the SDK's 2026 retry settings), a client
 * side circuit breaker for fleets of callers. Our Lambdas have only a few requests in flight, and
 * the event source mapping (or the schedule) is the outer retry layer. When DynamoDB restarted,
 * ten in-flight requests spent the whole quota in about a second; every later call then failed
 * at once, the mapping's retries were spent as fast, and it dead-lettered valid records (the
 * dynamodb-restart chaos scenario at 20,000 records lost 2,500).
 *
 * So each call gets its own `StandardRetryStrategy`: the SDK's error classification, Retry-After
 * handling and token bookkeeping stay, with a quota per call (ample for `maxAttempts`) instead of
 * one per client. The backoff is the project's full jitter, so a run of retries rides out a
 * restart of tens of seconds rather than the SDK's default of about thirteen.
 */
export class PerCallRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'standard';
  /** The strategy that issued each live token (a StandardRetryToken). */
  private readonly issuers = new WeakMap<RetryToken, StandardRetryStrategy>();

  constructor(private readonly settings: AwsSdkRetrySettings) {
    if (settings.maxAttempts < 1) throw new Error('AWS SDK maxAttempts must be >= 1');
  }

  async acquireInitialRetryToken(retryTokenScope: string): Promise<RetryToken> {
    const { maxAttempts, baseDelayMs, maxDelayMs, random } = this.settings;
    // The SDK raises the base to 1 s for throttling errors through setDelayBase.
    let base = baseDelayMs;
    const backoff: StandardRetryBackoffStrategy = {
      // `retryCount`: the retries made so far, 0 before the first one.
      computeNextBackoffDelay: (retryCount) =>
        fullJitterDelay(retryCount + 1, { baseDelayMs: base, maxDelayMs }, random),
      setDelayBase: (delayMs) => (base = delayMs),
    };
    const strategy = new StandardRetryStrategy({ maxAttempts, baseDelay: baseDelayMs, backoff });
    return this.issue(strategy, await strategy.acquireInitialRetryToken(retryTokenScope));
  }

  async refreshRetryTokenForRetry(
    token: RetryToken,
    errorInfo: RetryErrorInfo,
  ): Promise<RetryToken> {
    const strategy = this.issuerOf(token);
    const issued = token as StandardRetryToken;
    return this.issue(strategy, await strategy.refreshRetryTokenForRetry(issued, errorInfo));
  }

  recordSuccess(token: RetryToken): void {
    this.issuerOf(token).recordSuccess(token as StandardRetryToken);
  }

  private issue(strategy: StandardRetryStrategy, token: StandardRetryToken): RetryToken {
    this.issuers.set(token, strategy);
    return token;
  }

  private issuerOf(token: RetryToken): StandardRetryStrategy {
    const strategy = this.issuers.get(token);
    if (strategy === undefined) throw new Error('Retry token was not issued by this strategy');
    return strategy;
  }
}

/** Client options for every AWS SDK client the Lambdas build. */
export function awsSdkRetryOptions(settings: AwsSdkRetrySettings): {
  maxAttempts: number;
  retryStrategy: RetryStrategyV2;
} {
  return { maxAttempts: settings.maxAttempts, retryStrategy: new PerCallRetryStrategy(settings) };
}

/** Every AWS SDK client the Lambdas build: its own `config`, `pipeline.aws.sdkRetry`'s retries. */
export function sdkClient<Client, Config extends object>(
  Sdk: new (config: Config & ReturnType<typeof awsSdkRetryOptions>) => Client,
  config: Config,
): Client {
  return new Sdk({ ...config, ...awsSdkRetryOptions(pipeline.aws.sdkRetry) });
}
