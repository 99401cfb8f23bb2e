import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { z } from 'zod';

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
