import type { HttpClient } from '../shared/http-client';
import { SourcePageSchema } from '../shared/records';
import type { SourcePage } from '../shared/records';

export interface PageQuery {
  limit: number;
  updatedSince?: string;
  cursor?: string;
}

/** The source API answered 2xx with something that is not a page: the run stops, nothing lost. */
export class MalformedPageError extends Error {
  constructor(details: string) {
    super(`source API returned a malformed page: ${details}`);
    this.name = 'MalformedPageError';
  }
}

/** `base` may carry a path prefix (API Gateway stage, Function URL): keep it. */
export function pageUrl(baseUrl: string, path: string, query: PageQuery): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const url = new URL(path.replace(/^\/+/, ''), base);
  url.searchParams.set('limit', String(query.limit));
  if (query.updatedSince !== undefined) url.searchParams.set('updatedSince', query.updatedSince);
  if (query.cursor !== undefined) url.searchParams.set('cursor', query.cursor);
  return url.toString();
}

export interface FetchPageArgs {
  http: Pick<HttpClient, 'request'>;
  baseUrl: string;
  path: string;
  query: PageQuery;
  apiToken?: string;
  deadline?: number;
}

/** One page; items stay `unknown` so each is validated (and dead-lettered) on its own. */
export async function fetchSourcePage(args: FetchPageArgs): Promise<SourcePage> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (args.apiToken !== undefined) headers.authorization = `Bearer ${args.apiToken}`;
  const response = await args.http.request({
    method: 'GET',
    url: pageUrl(args.baseUrl, args.path, args.query),
    headers,
    ...(args.deadline === undefined ? {} : { deadline: args.deadline }),
  });
  let json: unknown;
  try {
    json = JSON.parse(response.body);
  } catch {
    throw new MalformedPageError(
      `body is not JSON (HTTP ${response.status}, ${response.body.length} bytes)`,
    );
  }
  const parsed = SourcePageSchema.safeParse(json);
  if (!parsed.success) {
    throw new MalformedPageError(
      parsed.error.issues
        .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
        .join('; '),
    );
  }
  return parsed.data;
}
