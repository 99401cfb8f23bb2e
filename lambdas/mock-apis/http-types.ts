import { z } from 'zod';

/** The transport-neutral request and response the router works with. */
export interface MockRequest {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  body: string | undefined;
}

export interface MockResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}) {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export function errorResponse(
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): MockResponse {
  return jsonResponse(status, { error: { code, message, ...extra } }, headers);
}

/** Every error the mock answers on purpose (bad body, query, cursor, SOAP fault): not a 500. */
export class MockApiError extends Error {
  override name = 'MockApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  response(): MockResponse {
    return errorResponse(this.status, this.code, this.message, this.extra);
  }
}

/** `value` as `schema` parses it, else a 400 `code` with the zod issues. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, code: string) {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const { error } = parsed;
  const extra = { issues: error.issues };
  throw new MockApiError(400, code, z.prettifyError(error), extra, { cause: error });
}

/** A JSON body; an empty one is `{}` when `allowEmpty` (admin calls with defaults). */
export function readJsonBody(request: MockRequest, allowEmpty = false): unknown {
  const text = request.body ?? '';
  if (text.trim() === '') {
    if (allowEmpty) return {};
    throw new MockApiError(400, 'MISSING_BODY', 'A JSON body is required');
  }
  const contentType = (request.headers['content-type'] ?? '').toLowerCase();
  if (!/^application\/([\w.+-]+\+)?json\b/.test(contentType)) {
    throw new MockApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = `Body is not valid JSON: ${(error as Error).message}`;
    throw new MockApiError(400, 'INVALID_JSON', message, {}, { cause: error });
  }
}
