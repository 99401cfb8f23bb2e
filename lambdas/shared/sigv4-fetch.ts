/**
 * A `fetch` that signs every request with SigV4, for an `AuthType: AWS_IAM` Function URL (mock-apis
 * on AWS). The SDK has no generic signed fetch; its own signer (`@smithy/signature-v4`) computes
 * the signature, and this file only maps a fetch call onto the signer's request shape and back.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { buildQueryString } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, HttpRequest as SignableRequest } from '@smithy/types';

export function createSigV4Fetch({
  fetchImpl = fetch,
  now = () => new Date(),
  ...options
}: {
  /** Signing service name: `lambda` for Function URLs. */
  service: string;
  region: string;
  /** Called for every request; SDK providers (fromNodeProviderChain) cache and refresh. */
  credentials: AwsCredentialIdentityProvider;
  fetchImpl?: typeof fetch | undefined;
  /** Signing clock; injected by tests to make signatures reproducible. */
  now?: (() => Date) | undefined;
}): typeof fetch {
  const signer = new SignatureV4({
    ...options,
    sha256: Sha256,
    // Function URLs require the body hash header (x-amz-content-sha256) for requests with a body.
    applyChecksum: true,
  });

  return async (input, init) => {
    const request = await toSignableRequest(input, init);
    const signed = await signer.sign(request, { signingDate: now() });
    // fetch derives Host from the URL (the same value that was signed); setting it is not allowed.
    const { host, ...headers } = signed.headers;
    // Sent as the signer encodes it: the server canonicalises exactly what was signed (`+`, `:`).
    const search = buildQueryString(signed.query ?? {});
    const url = `${signed.protocol}//${host}${signed.path}${search && `?${search}`}`;
    return fetchImpl(url, {
      ...init,
      method: signed.method,
      headers,
      body: request.body as Uint8Array | undefined,
    });
  };
}

/**
 * The pieces of a fetch call the signer covers: method, host, path, query, headers, body. A
 * `Request` built from the call normalises every input and body kind; the body is signed as bytes.
 */
export async function toSignableRequest(
  input: string | URL | Request,
  init: RequestInit | undefined,
): Promise<SignableRequest> {
  const request = new Request(input, init);
  const url = new URL(request.url);
  const headers = Object.fromEntries(request.headers);
  if (headers.authorization !== undefined) {
    // SigV4 owns the Authorization header; a bearer token would be silently overwritten.
    throw new Error('An Authorization header cannot be combined with IAM (SigV4) request signing');
  }
  headers.host = url.host;
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const existing = query[key];
    query[key] = existing === undefined ? value : [...[existing].flat(), value];
  }
  return {
    method: request.method,
    protocol: url.protocol,
    hostname: url.hostname,
    // Still percent-encoded, as sent; the signer encodes once more, as SigV4 requires outside S3.
    path: url.pathname,
    query,
    headers,
    body: request.body ? new Uint8Array(await request.arrayBuffer()) : undefined,
  };
}
