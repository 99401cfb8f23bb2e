/**
 * `base` + `path`, keeping any path prefix of `base` (an API Gateway stage such as
 * `https://x.execute-api…/prod`). `new URL('/analytics/data', base)` would resolve the
 * absolute path against the host and silently drop the prefix.
 */
export function joinUrl(base: string, path: string): string {
  const directory = base.endsWith('/') ? base : `${base}/`;
  return new URL(path.replace(/^\/+/, ''), directory).toString();
}
