/**
 * A URL as logs and error messages may show it: origin and path, and the query's names with the values
 * of `shownParams` only (page numbers, sizes, the incremental bound). Other values are replaced by `…`:
 * fixed parameters and server-made next links can carry anything, an API key or a name included.
 */
export function describeUrl(url: URL, shownParams: ReadonlySet<string> = new Set()): string {
  let query = '';
  for (const [k, v] of url.searchParams) {
    query += `${query ? '&' : '?'}${encodeURIComponent(k)}=${shownParams.has(k) ? encodeURIComponent(v) : '…'}`;
  }
  return `${url.origin}${url.pathname}${query}`;
}

/** `GET /api/v1/hoc-sinh`: method and path, for error messages. */
export function describeRequest(method: string, url: URL): string {
  return `${method} ${url.pathname}`;
}
