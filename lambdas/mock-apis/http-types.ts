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

export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): MockResponse {
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

export type JsonBody = { ok: true; value: unknown } | { ok: false; response: MockResponse };

/**
 * Reads a JSON body. An empty body reads as `{}` when `allowEmpty` (admin calls with defaults);
 * a non-JSON content type is a 415 and malformed JSON a 400, never an exception.
 */
export function readJsonBody(request: MockRequest, allowEmpty = false): JsonBody {
  const fail = (status: number, code: string, message: string): JsonBody => ({
    ok: false,
    response: errorResponse(status, code, message),
  });
  const text = request.body ?? '';
  if (text.trim() === '') {
    return allowEmpty
      ? { ok: true, value: {} }
      : fail(400, 'MISSING_BODY', 'A JSON body is required');
  }
  const contentType = (request.headers['content-type'] ?? '').toLowerCase();
  if (!/^application\/([\w.+-]+\+)?json\b/.test(contentType)) {
    return fail(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return fail(400, 'INVALID_JSON', `Body is not valid JSON: ${(error as Error).message}`);
  }
}
