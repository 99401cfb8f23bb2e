import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { z } from 'zod';
import { createSigV4Fetch } from './sigv4-fetch';

/**
 * How the pollers and flush authenticate to their APIs (`API_AUTH`): `none` (open endpoints or a
 * bearer token from API_TOKEN_PARAMETER) or `iam` (SigV4-signed, for a Lambda Function URL with
 * `AuthType: AWS_IAM`, such as mock-apis on AWS).
 */
export const ApiAuthSchema = z.enum(['none', 'iam']).default('none');
export type ApiAuth = z.output<typeof ApiAuthSchema>;

/**
 * The `fetch` an HttpClient should use for `auth`: undefined (the built-in fetch) for `none`, a
 * SigV4-signing fetch for `iam` with the Lambda's own credentials from the default chain.
 * Call once per cold start.
 */
export function fetchForApiAuth(
  auth: ApiAuth,
  options: {
    region: string;
    /** API_TOKEN_PARAMETER: with `iam` it would fight SigV4 for the Authorization header. */
    apiTokenParameter?: string | undefined;
    credentials?: AwsCredentialIdentityProvider;
    fetchImpl?: typeof fetch;
    now?: () => Date;
  },
): typeof fetch | undefined {
  if (auth === 'none') return undefined;
  if (options.apiTokenParameter !== undefined) {
    // Fail the cold start rather than drop one of the two credentials on every request.
    throw new Error(
      'Invalid configuration: API_AUTH=iam signs requests with SigV4 and cannot be combined with API_TOKEN_PARAMETER (a bearer token)',
    );
  }
  return createSigV4Fetch({
    service: 'lambda',
    region: options.region,
    credentials: options.credentials ?? fromNodeProviderChain(),
    ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}
