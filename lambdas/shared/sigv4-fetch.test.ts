import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { createSigV4Fetch, toSignableRequest } from './sigv4-fetch';

const REGION = 'eu-west-1';
const SIGNING_DATE = new Date('2024-01-02T03:04:05.678Z');
const AMZ_DATE = '20240102T030405Z';
const KEYS: AwsCredentialIdentity = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const FUNCTION_URL = 'https://abcdefgh.lambda-url.eu-west-1.on.aws';

interface SentRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A fetch stub that records what would go on the wire. */
function recordingFetch() {
  const sent: SentRequest[] = [];
  const fetchImpl = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = init?.body;
    sent.push({
      url: input instanceof Request ? input.url : input.toString(),
      method: init?.method ?? 'GET',
      headers,
      body:
        body === undefined || body === null
          ? undefined
          : typeof body === 'string'
            ? body
            : Buffer.from(body as Uint8Array).toString('utf8'),
    });
    return new Response('{"ok":true}', { status: 200 });
  });
  return { fetchImpl: fetchImpl as unknown as typeof fetch, sent, calls: fetchImpl };
}

function signingFetch(credentials: AwsCredentialIdentity = KEYS) {
  const recorder = recordingFetch();
  const provider = vi.fn(async () => credentials);
  const signed = createSigV4Fetch({
    service: 'lambda',
    region: REGION,
    credentials: provider,
    fetchImpl: recorder.fetchImpl,
    now: () => SIGNING_DATE,
  });
  return { signed, provider, ...recorder };
}

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) =>
  createHmac('sha256', key).update(data).digest();
const rfc3986 = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);

/**
 * SigV4 written out from the AWS specification with node:crypto only, to check the signer's
 * output against a computation that shares no code with it.
 */
function independentSignature(args: {
  method: string;
  url: string;
  headers: Record<string, string>;
  signedHeaders: string[];
  body: string;
  secretAccessKey: string;
}): string {
  const url = new URL(args.url);
  const canonicalUri = url.pathname
    .split('/')
    .map((segment) => rfc3986(segment))
    .join('/');
  const canonicalQuery = [...url.searchParams]
    .map(([key, value]) => [rfc3986(key), rfc3986(value)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalHeaders = args.signedHeaders
    .map((name) => `${name}:${(args.headers[name] ?? '').trim()}\n`)
    .join('');
  const canonicalRequest = [
    args.method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    args.signedHeaders.join(';'),
    sha256Hex(args.body),
  ].join('\n');
  const day = AMZ_DATE.slice(0, 8);
  const scope = `${day}/${REGION}/lambda/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', AMZ_DATE, scope, sha256Hex(canonicalRequest)].join(
    '\n',
  );
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${args.secretAccessKey}`, day), REGION), 'lambda'),
    'aws4_request',
  );
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}

function parseAuthorization(value: string | undefined) {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      value ?? '',
    );
  if (!match) throw new Error(`not a SigV4 authorization header: ${value}`);
  return { credential: match[1], signedHeaders: match[2]?.split(';') ?? [], signature: match[3] };
}

describe('createSigV4Fetch', () => {
  it('signs a POST with the body hash, date and the lambda credential scope', async () => {
    const { signed, sent } = signingFetch();
    const body = JSON.stringify({ eventId: 'e-1', customers: [], products: [] });

    const response = await signed(`${FUNCTION_URL}/analytics/data`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Idempotency-Key': 'e-1' },
      body,
    });

    expect(response.status).toBe(200);
    expect(sent).toHaveLength(1);
    const request = sent[0]!;
    expect(request.url).toBe(`${FUNCTION_URL}/analytics/data`);
    expect(request.method).toBe('POST');
    expect(request.body).toBe(body);
    expect(request.headers['x-amz-date']).toBe(AMZ_DATE);
    expect(request.headers['x-amz-content-sha256']).toBe(sha256Hex(body));
    expect(request.headers['idempotency-key']).toBe('e-1');
    // fetch derives Host from the URL; the signed value must be exactly that host.
    expect(request.headers.host).toBeUndefined();
    expect(request.headers['x-amz-security-token']).toBeUndefined();

    const authorization = parseAuthorization(request.headers.authorization);
    expect(authorization.credential).toBe(`AKIDEXAMPLE/20240102/${REGION}/lambda/aws4_request`);
    expect(authorization.signedHeaders).toEqual([
      'content-type',
      'host',
      'idempotency-key',
      'x-amz-content-sha256',
      'x-amz-date',
    ]);
    expect(authorization.signature).toBe(
      independentSignature({
        method: 'POST',
        url: request.url,
        headers: { ...request.headers, host: new URL(FUNCTION_URL).host },
        signedHeaders: authorization.signedHeaders,
        body,
        secretAccessKey: KEYS.secretAccessKey,
      }),
    );
  });

  it('signs the query string of a GET', async () => {
    const { signed, sent } = signingFetch();
    const url = new URL(`${FUNCTION_URL}/crm/customers`);
    url.searchParams.set('limit', '100');
    url.searchParams.set('updatedSince', '2024-01-01T00:00:00.000Z');
    url.searchParams.set('cursor', 'opaque/cursor+value=');

    await signed(url.toString(), { method: 'GET' });
    await signed(url.toString().replace('limit=100', 'limit=101'), { method: 'GET' });

    const [first, second] = sent;
    const query = new URL(first!.url).searchParams;
    expect(Object.fromEntries(query)).toEqual(Object.fromEntries(url.searchParams));
    expect(first!.body).toBeUndefined();
    expect(first!.headers['x-amz-content-sha256']).toBe(sha256Hex(''));
    const authorization = parseAuthorization(first!.headers.authorization);
    expect(authorization.signature).toBe(
      independentSignature({
        method: 'GET',
        url: first!.url,
        headers: { ...first!.headers, host: url.host },
        signedHeaders: authorization.signedHeaders,
        body: '',
        secretAccessKey: KEYS.secretAccessKey,
      }),
    );
    // Same clock and keys: only the query differs, so the signature must too.
    expect(parseAuthorization(second!.headers.authorization).signature).not.toBe(
      authorization.signature,
    );
  });

  it('matches SignatureV4.sign of the same HttpRequest (the SDK signer used directly)', async () => {
    const { signed, sent } = signingFetch();
    const target = `${FUNCTION_URL}/inventory/products?limit=5&cursor=abc`;
    await signed(target, { method: 'GET', headers: { accept: 'application/json' } });

    const reference = await new SignatureV4({
      service: 'lambda',
      region: REGION,
      credentials: KEYS,
      sha256: Sha256,
    }).sign(await toSignableRequest(target, { headers: { accept: 'application/json' } }), {
      signingDate: SIGNING_DATE,
    });
    expect(sent[0]!.headers.authorization).toBe(reference.headers.authorization);
  });

  it('adds and signs x-amz-security-token for temporary credentials', async () => {
    const { signed, sent } = signingFetch({ ...KEYS, sessionToken: 'session-token-value' });
    await signed(`${FUNCTION_URL}/analytics/stats`);

    const request = sent[0]!;
    expect(request.headers['x-amz-security-token']).toBe('session-token-value');
    expect(parseAuthorization(request.headers.authorization).signedHeaders).toContain(
      'x-amz-security-token',
    );
  });

  it('resolves credentials for every request, so rotated keys are picked up', async () => {
    const { signed, provider } = signingFetch();
    await signed(`${FUNCTION_URL}/analytics/stats`);
    await signed(`${FUNCTION_URL}/analytics/stats`);
    expect(provider).toHaveBeenCalledTimes(2);
  });

  it('signs a Request object, including its body', async () => {
    const { signed, sent } = signingFetch();
    const body = '{"a":1}';
    await signed(
      new Request(`${FUNCTION_URL}/analytics/data`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      }),
    );
    expect(sent[0]!.method).toBe('POST');
    expect(sent[0]!.body).toBe(body);
    expect(sent[0]!.headers['x-amz-content-sha256']).toBe(sha256Hex(body));
  });

  it('refuses a request that already carries an Authorization header', async () => {
    const { signed, calls } = signingFetch();
    await expect(
      signed(`${FUNCTION_URL}/crm/customers`, { headers: { Authorization: 'Bearer t' } }),
    ).rejects.toThrow(/Authorization header cannot be combined/);
    expect(calls).not.toHaveBeenCalled();
  });
});
