import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fetchForApiAuth } from '../shared/api-auth';
import { HttpClient } from '../shared/http-client';
import { createAnalyticsPoster } from './outbox';
import { FlushEnvSchema } from './env';

const baseEnv = {
  STAGING_BUCKET: 'bucket',
  SYNC_STATE_TABLE: 'sync-state',
  ANALYTICS_API_BASE_URL: 'https://x.lambda-url.eu-west-1.on.aws',
};

describe('flush API_AUTH', () => {
  it('defaults to none and rejects unknown modes', () => {
    expect(FlushEnvSchema.parse(baseEnv).API_AUTH).toBe('none');
    expect(FlushEnvSchema.parse({ ...baseEnv, API_AUTH: 'iam' }).API_AUTH).toBe('iam');
    expect(FlushEnvSchema.safeParse({ ...baseEnv, API_AUTH: 'basic' }).success).toBe(false);
  });

  it('posts to Analytics SigV4-signed, with the body hash, when iam', async () => {
    const seen: Headers[] = [];
    const bodies: string[] = [];
    const fetchImpl = (async (_input: string | URL | Request, init?: RequestInit) => {
      seen.push(new Headers(init?.headers));
      bodies.push(await new Response(init?.body).text());
      return new Response('{"accepted":true,"duplicate":false}', { status: 200 });
    }) as typeof fetch;
    const env = FlushEnvSchema.parse({ ...baseEnv, API_AUTH: 'iam' });
    const apiFetch = fetchForApiAuth(env.API_AUTH, {
      region: 'eu-west-1',
      credentials: async () => ({ accessKeyId: 'AKIDFLUSH', secretAccessKey: 'secret' }),
      fetchImpl,
    });
    const poster = createAnalyticsPoster({
      http: new HttpClient({
        timeoutMs: 1_000,
        maxAttempts: 1,
        baseDelayMs: 0,
        maxDelayMs: 0,
        ...(apiFetch === undefined ? {} : { fetchImpl: apiFetch }),
      }),
      baseUrl: env.ANALYTICS_API_BASE_URL,
      maxAttempts: 1,
    });
    const payload = {
      eventId: 'evt-1',
      timestamp: '2024-01-01T00:00:00.000Z',
      customers: [],
      products: [],
      deletedCustomers: [],
      deletedProducts: [],
      metadata: { source: 'flush', customerCount: 0, productCount: 0, batchIds: ['b-1'] },
    };

    const outcome = await poster.post(payload, Date.now() + 10_000);

    expect(outcome).toEqual({ delivered: true, status: 200 });
    const headers = seen[0]!;
    expect(headers.get('authorization')).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDFLUSH\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=content-type;host;idempotency-key;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(headers.get('x-amz-content-sha256')).toBe(
      createHash('sha256').update(bodies[0]!).digest('hex'),
    );
    expect(headers.get('idempotency-key')).toBe('evt-1');
  });
});
