import type { Context } from 'aws-lambda';

/** What the host knows about the function; the same values Lambda gives a real invocation. */
export interface FunctionIdentity {
  functionName: string;
  memoryMb: number;
  region: string;
  account: string;
}

/** The account id the local runtime pretends to run in (ARNs must look real to handlers). */
export const LOCAL_ACCOUNT_ID = '000000000000';

export function functionArn(
  identity: Pick<FunctionIdentity, 'functionName' | 'region' | 'account'>,
): string {
  return `arn:aws:lambda:${identity.region}:${identity.account}:function:${identity.functionName}`;
}

/** A Lambda context without the deprecated callback-era done/fail/succeed: handlers return a promise. */
export type LocalContext = Omit<Context, 'done' | 'fail' | 'succeed'>;

/**
 * A Lambda-like context for one invocation. `getRemainingTimeInMillis` counts down to the same
 * deadline the host enforces, so handlers that watch their time budget (pollers, flush) behave
 * exactly as on AWS.
 */
export function createLambdaContext(
  identity: FunctionIdentity,
  invocation: { awsRequestId: string; deadlineMs: number },
  now: () => number = Date.now,
): LocalContext {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: identity.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn(identity),
    memoryLimitInMB: String(identity.memoryMb),
    awsRequestId: invocation.awsRequestId,
    logGroupName: `/aws/lambda/${identity.functionName}`,
    logStreamName: `local/[$LATEST]${invocation.awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, invocation.deadlineMs - now()),
  };
}
