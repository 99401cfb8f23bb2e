import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
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
 * A `fetch` that sends `Authorization: Bearer <token>`, asking `token()` on every request, so a
 * rotated token (see loadApiToken's cache) is used without a cold start.
 */
function createBearerFetch(
  token: () => Promise<string | undefined>,
  fetchImpl: typeof fetch = fetch,
): typeof fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : {}));
    const value = await token();
    if (value !== undefined) headers.set('authorization', `Bearer ${value}`);
    return fetchImpl(input, { ...init, headers });
  };
}

/**
 * The `fetch` an HttpClient should use: a bearer-token fetch when API_TOKEN_PARAMETER is set, a
 * SigV4-signing fetch for `iam` with the Lambda's own credentials from the default chain, else
 * undefined (the built-in fetch). Call once per cold start.
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
    readToken?: (parameterName: string) => Promise<string | undefined>;
  },
): typeof fetch | undefined {
  const { apiTokenParameter, readToken = loadApiToken } = options;
  if (auth === 'none') {
    if (apiTokenParameter === undefined || apiTokenParameter.trim() === '') return undefined;
    return createBearerFetch(() => readToken(apiTokenParameter), options.fetchImpl);
  }
  if (apiTokenParameter !== undefined) {
    // Fail the cold start rather than drop one of the two credentials on every request.
    throw new Error(
      'Invalid configuration: API_AUTH=iam signs requests with SigV4 and cannot be combined with API_TOKEN_PARAMETER (a bearer token)',
    );
  }
  const { region, fetchImpl, now, credentials = fromNodeProviderChain() } = options;
  return createSigV4Fetch({ service: 'lambda', region, credentials, fetchImpl, now });
}

/**
 * How long Powertools Parameters caches the token: a rotated token is in use within this long,
 * without a cold start, at one SSM/Secrets Manager read per function instance per period.
 */
export const API_TOKEN_MAX_AGE_SECONDS = 300;

export interface ApiTokenFetchers {
  fromSsm: (name: string) => Promise<unknown>;
  fromSecretsManager: (secretId: string) => Promise<unknown>;
}

const defaultFetchers: ApiTokenFetchers = {
  fromSsm: (name) => getParameter(name, { decrypt: true, maxAge: API_TOKEN_MAX_AGE_SECONDS }),
  fromSecretsManager: (secretId) => getSecret(secretId, { maxAge: API_TOKEN_MAX_AGE_SECONDS }),
};

/** A secret holds the bare token, or a JSON object with a `token` field. */
const TokenObjectSchema = z.object({ token: z.string().min(1) });
const TokenValueSchema = z.union([
  z.string().trim().min(1).transform(tokenFromText),
  TokenObjectSchema.transform(({ token }) => token),
]);

function tokenFromText(text: string): string {
  if (!text.startsWith('{')) return text;
  try {
    return TokenObjectSchema.parse(JSON.parse(text)).token;
  } catch {
    return text;
  }
}

const SECRETS_MANAGER_ARN = /^arn:aws[\w-]*:secretsmanager:/;

/**
 * The bearer token for the source/Analytics APIs, from `API_TOKEN_PARAMETER`: an SSM
 * SecureString name (decrypted), or a Secrets Manager secret when it is a secret ARN.
 * Undefined when the variable is absent (local stack, open mock APIs). Call it for every request:
 * Powertools answers from its cache and reads the store again after API_TOKEN_MAX_AGE_SECONDS.
 */
export async function loadApiToken(
  parameterName: string | undefined,
  fetchers: ApiTokenFetchers = defaultFetchers,
): Promise<string | undefined> {
  if (parameterName === undefined || parameterName.trim() === '') return undefined;
  const raw = SECRETS_MANAGER_ARN.test(parameterName)
    ? await fetchers.fromSecretsManager(parameterName)
    : await fetchers.fromSsm(parameterName);
  const parsed = TokenValueSchema.safeParse(raw);
  if (!parsed.success) {
    // Never echo the value: it is a credential.
    throw new Error(`API token "${parameterName}" is empty or not a string/{ token } value`);
  }
  return parsed.data;
}
