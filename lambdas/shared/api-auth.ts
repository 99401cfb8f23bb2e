import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { z } from 'zod';
import { createSigV4Fetch } from './sigv4-fetch';
import { parseJson } from './config';

/** `API_AUTH`: `none` (open, or API_TOKEN_PARAMETER's bearer token) or `iam` (SigV4). */
export const ApiAuthSchema = z.enum(['none', 'iam']).default('none');
export type ApiAuth = z.output<typeof ApiAuthSchema>;

/** Sends `Authorization: Bearer <token()>`, asked per request: a rotation needs no cold start. */
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

/** An HttpClient's `fetch`, once per cold start: bearer, SigV4 (`iam`), or undefined (built-in). */
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

/** Powertools Parameters caches the token this long: a rotation is in use within it. */
export const API_TOKEN_MAX_AGE_SECONDS = 300;

export interface ApiTokenFetchers {
  fromSsm: (name: string) => Promise<unknown>;
  fromSecretsManager: (secretId: string) => Promise<unknown>;
}

const defaultFetchers: ApiTokenFetchers = {
  fromSsm: (name) => getParameter(name, { decrypt: true, maxAge: API_TOKEN_MAX_AGE_SECONDS }),
  fromSecretsManager: (secretId) => getSecret(secretId, { maxAge: API_TOKEN_MAX_AGE_SECONDS }),
};

/**
 * A secret holds the bare token, or a JSON object with a `token` field. Text starting with `{` is
 * never a bearer token (RFC 6750's b64token has no braces), so one without a valid `token` (e.g.
 * `{"username":…,"password":…}`) fails instead of being sent to the API whole.
 */
const TokenObjectSchema = z.object({ token: z.string().min(1) });
const TokenValueSchema = z.union([
  z
    .string()
    .trim()
    .min(1)
    .transform((text, context) => {
      if (!text.startsWith('{')) return text;
      const read = parseJson(TokenObjectSchema, text, 'token');
      if ('data' in read) return read.data.token;
      context.addIssue({ code: 'custom', message: 'a JSON secret without a string token' });
      return z.NEVER;
    }),
  TokenObjectSchema.transform(({ token }) => token),
]);

/** Whether `API_TOKEN_PARAMETER` names a Secrets Manager secret (else SSM); infra grants by it. */
export const isSecretsManagerArn = (parameterName: string): boolean =>
  /^arn:aws[\w-]*:secretsmanager:/.test(parameterName);

/**
 * The bearer token named by `API_TOKEN_PARAMETER` (an SSM SecureString, or a Secrets Manager secret
 * ARN); undefined without it. Per request: Powertools answers from its cache (see above).
 */
export async function loadApiToken(
  parameterName: string | undefined,
  fetchers: ApiTokenFetchers = defaultFetchers,
): Promise<string | undefined> {
  if (parameterName === undefined || parameterName.trim() === '') return undefined;
  const raw = isSecretsManagerArn(parameterName)
    ? await fetchers.fromSecretsManager(parameterName)
    : await fetchers.fromSsm(parameterName);
  const parsed = TokenValueSchema.safeParse(raw);
  if (!parsed.success) {
    // Never echo the value: it is a credential.
    throw new Error(`API token "${parameterName}" is empty or not a string/{ token } value`);
  }
  return parsed.data;
}
