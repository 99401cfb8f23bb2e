import { createHash } from 'node:crypto';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { API_TOKEN_MAX_AGE_SECONDS, ApiAuthSchema, fetchForApiAuth } from '../shared/api-auth';
import { PollerEnvSchema } from './environment';
import { createInstrumentedHttpClient } from './poller-lambda';

const KEYS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret', sessionToken: 'token' };

function recordingFetch() {
  const requests: { url: string; headers: Headers }[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    requests.push({
      url: input instanceof Request ? input.url : input.toString(),
      headers: new Headers(init?.headers),
    });
    return new Response(JSON.stringify({ items: [], nextCursor: null }), { status: 200 });
  }) as typeof fetch;
  return { fetchImpl, requests };
}

const quietObservers = {
  metrics: { addMetric: vi.fn() },
  logger: { warn: vi.fn(), error: vi.fn() },
};
const httpSettings = {
  timeoutMs: 1_000,
  maxAttempts: 1,
  baseDelayMs: 0,
  maxDelayMs: 0,
  breakerThreshold: 5,
  breakerCooldownMs: 1_000,
};

afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

describe('API_AUTH', () => {
  it('defaults to none and accepts only none | iam', () => {
    expect(ApiAuthSchema.parse(undefined)).toBe('none');
    expect(ApiAuthSchema.parse('iam')).toBe('iam');
    expect(ApiAuthSchema.safeParse('sigv4').success).toBe(false);
  });

  it('is part of the poller environment', () => {
    const base = { SOURCE_API_BASE_URL: 'https://api.example.com' };
    expect(PollerEnvSchema.parse(base).API_AUTH).toBe('none');
    expect(PollerEnvSchema.parse({ ...base, API_AUTH: 'iam' }).API_AUTH).toBe('iam');
    expect(PollerEnvSchema.safeParse({ ...base, API_AUTH: 'IAM' }).success).toBe(false);
  });
});

describe('fetchForApiAuth', () => {
  it('keeps the built-in fetch for none without a token', () => {
    expect(fetchForApiAuth('none', { region: 'eu-west-1' })).toBeUndefined();
    expect(
      fetchForApiAuth('none', { region: 'eu-west-1', apiTokenParameter: ' ' }),
    ).toBeUndefined();
  });

  it('sends the bearer token from API_TOKEN_PARAMETER and keeps the caller headers', async () => {
    const { fetchImpl, requests } = recordingFetch();
    const readToken = vi.fn(async () => 'tok-1');
    const apiFetch = fetchForApiAuth('none', {
      region: 'eu-west-1',
      apiTokenParameter: '/ecom-sync/token',
      fetchImpl,
      readToken,
    });
    await apiFetch!('https://crm.example.com/crm/customers', { headers: { accept: 'x/y' } });
    expect(readToken).toHaveBeenCalledWith('/ecom-sync/token');
    expect(requests[0]!.headers.get('authorization')).toBe('Bearer tok-1');
    expect(requests[0]!.headers.get('accept')).toBe('x/y');
  });

  it('picks up a rotated SSM token after the Powertools maxAge, without a cold start', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const ssm = mockClient(SSMClient);
    ssm
      .on(GetParameterCommand, { Name: '/ecom-sync/rotated', WithDecryption: true })
      .resolvesOnce({ Parameter: { Value: 'before-rotation' } })
      .resolves({ Parameter: { Value: 'after-rotation' } });
    const { fetchImpl, requests } = recordingFetch();
    const apiFetch = fetchForApiAuth('none', {
      region: 'eu-west-1',
      apiTokenParameter: '/ecom-sync/rotated',
      fetchImpl,
    })!;
    const url = 'https://crm.example.com/crm/customers';
    await apiFetch(url);
    vi.advanceTimersByTime((API_TOKEN_MAX_AGE_SECONDS - 1) * 1000);
    await apiFetch(url);
    vi.advanceTimersByTime(2_000);
    await apiFetch(url);
    expect(requests.map((r) => r.headers.get('authorization'))).toEqual([
      'Bearer before-rotation',
      'Bearer before-rotation',
      'Bearer after-rotation',
    ]);
    // Cached in between: one read per maxAge, not one per request.
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
    ssm.restore();
  });

  it('gives the poller HttpClient a fetch that signs for lambda in the region with iam', async () => {
    const { fetchImpl, requests } = recordingFetch();
    const apiFetch = fetchForApiAuth('iam', {
      region: 'eu-central-1',
      credentials: async () => KEYS,
      fetchImpl,
    });
    const { http } = createInstrumentedHttpClient(httpSettings, quietObservers, apiFetch);

    await http.request({
      method: 'GET',
      url: 'https://x.lambda-url.eu-central-1.on.aws/crm/customers?limit=10',
    });

    const headers = requests[0]!.headers;
    expect(headers.get('authorization')).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-central-1\/lambda\/aws4_request, /,
    );
    expect(headers.get('x-amz-security-token')).toBe('token');
    expect(headers.get('x-amz-content-sha256')).toBe(createHash('sha256').digest('hex'));
  });

  it('takes the Lambda execution role credentials from the default provider chain', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDFROMENV');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret-from-env');
    vi.stubEnv('AWS_SESSION_TOKEN', 'session-from-env');
    const { fetchImpl, requests } = recordingFetch();
    const apiFetch = fetchForApiAuth('iam', { region: 'eu-west-1', fetchImpl });

    await apiFetch!('https://x.lambda-url.eu-west-1.on.aws/analytics/stats');

    expect(requests[0]!.headers.get('authorization')).toContain('Credential=AKIDFROMENV/');
    expect(requests[0]!.headers.get('x-amz-security-token')).toBe('session-from-env');
  });

  it('fails the cold start when a bearer token is configured together with iam', () => {
    expect(() =>
      fetchForApiAuth('iam', { region: 'eu-west-1', apiTokenParameter: '/ecom-sync/token' }),
    ).toThrow(/API_AUTH=iam .* API_TOKEN_PARAMETER/);
  });
});
