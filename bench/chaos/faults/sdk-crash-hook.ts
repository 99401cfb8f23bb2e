/** The part of the AWS SDK's `Client` (from `@smithy/core/client`) the hook touches. */
export interface SdkClientPrototype {
  send(this: unknown, command: unknown, ...rest: unknown[]): Promise<unknown> | void;
}

export interface SdkCrashHookOptions {
  /** Called after every successful call with e.g. `DynamoDB.PutItem`; true = die now. */
  shouldCrash: (operation: string) => boolean;
  /** Ends the execution environment; never returns. */
  crash: (operation: string) => never;
}

/**
 * `<serviceId>.<operation>` of an SDK call, e.g. `S3.PutObject`: the client's resolved
 * `config.serviceId` and the command class name without its `Command` suffix.
 */
export function sdkOperationName(client: unknown, command: unknown): string {
  const serviceId =
    (client as { config?: { serviceId?: unknown } } | undefined)?.config?.serviceId ?? 'Unknown';
  const commandName =
    (command as { constructor?: { name?: unknown } } | undefined)?.constructor?.name ?? 'Unknown';
  return `${String(serviceId)}.${String(commandName).replace(/Command$/, '')}`;
}

/**
 * Wraps `send` of the SDK's base client so that the execution environment can die right AFTER a
 * call succeeded: the side effect landed (a claim put, an object written) but the code never saw
 * the answer, the most adversarial crash point. Patching the shared prototype injects the fault
 * without touching production code: every client the handler builds afterwards inherits it.
 * Callback-style calls pass through untouched (the handlers only use promises).
 * Returns a function that restores the original `send`.
 */
export function installSdkCrashHook(
  prototype: SdkClientPrototype,
  options: SdkCrashHookOptions,
): () => void {
  const original = prototype.send;
  prototype.send = function sendThenMaybeCrash(
    this: unknown,
    command: unknown,
    ...rest: unknown[]
  ): Promise<unknown> | void {
    if (typeof rest.at(-1) === 'function') return original.call(this, command, ...rest);
    const pending = original.call(this, command, ...rest) as Promise<unknown>;
    return pending.then((output) => {
      const operation = sdkOperationName(this, command);
      if (options.shouldCrash(operation)) options.crash(operation);
      return output;
    });
  };
  return () => {
    prototype.send = original;
  };
}
