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
  maxDelayMs: number;
  random?: () => number;
}

/**
 * Gives every SDK call its full `maxAttempts`, however many fail at once. The SDK's
 * `StandardRetryStrategy` shares one retry quota per client (500 tokens, 14 per connection error):
 * when DynamoDB restarted, ten in-flight requests spent it in a second, every later call failed at
 * once, and the mapping dead-lettered valid records (dynamodb-restart chaos: 2,500 of 20,000 lost).
 * So each call gets its own `StandardRetryStrategy` (the SDK's error classification and Retry-After
 * stay) with the project's full jitter, which rides out a restart of tens of seconds.
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

  async refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo) {
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

export function awsSdkRetryOptions(settings: AwsSdkRetrySettings) {
  return { maxAttempts: settings.maxAttempts, retryStrategy: new PerCallRetryStrategy(settings) };
}

/** Every AWS SDK client the Lambdas build: its own `config`, `pipeline.aws.sdkRetry`'s retries. */
export function sdkClient<Client, Config extends object>(
  Sdk: new (config: Config & ReturnType<typeof awsSdkRetryOptions>) => Client,
  config: Config,
): Client {
  return new Sdk({ ...config, ...awsSdkRetryOptions(pipeline.aws.sdkRetry) });
}
