/**
 * The kafkajs plumbing the limit and baseline measurements share: a quiet client, a consumer
 * that is known to own its partitions before the clock starts, and a bounded wait.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';

/** A kafkajs client that logs only errors, so benchmark tables are not interleaved with noise. */
export function benchKafka(brokers: string, clientIdPrefix: string): Kafka {
  return new Kafka({
    clientId: `${clientIdPrefix}-${randomUUID().slice(0, 8)}`,
    brokers: brokers.split(',').map((broker) => broker.trim()),
    logLevel: logLevel.ERROR,
  });
}

/** A consumer group id nobody else uses: every measurement reads from the beginning on its own. */
export function throwawayGroupId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/**
 * Resolves once the consumer has joined its group and received its assignment. Measurements start
 * their clock after this, so the one-off group join is not counted as throughput.
 */
export function groupJoined(consumer: Consumer, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      removeListener();
      reject(new Error(`consumer did not join its group within ${timeoutMs} ms`));
    }, timeoutMs);
    const removeListener = consumer.on(consumer.events.GROUP_JOIN, () => {
      clearTimeout(timer);
      removeListener();
      resolve();
    });
  });
}

/** Rejects with `describe()` (evaluated at the time of the timeout) if `work` is not done in time. */
export async function withinTimeout<T>(
  work: Promise<T>,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(describe())), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise with its resolve/reject exposed, for "done when the consumer has seen N messages". */
export interface Completion<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function completion<T>(): Completion<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  // Rejected before anyone awaits it (a consumer crash during setup) must not be "unhandled".
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
