/**
 * A URL as logs, error messages and views may show it: origin and path, and the query's names with the values
 * of `shownParams` only (page numbers, sizes, the incremental bound). Other values are replaced by `withheld`
 * (`…` in logs): fixed parameters and server-made next links can carry anything, an API key or a name included.
 */
export function describeUrl(url: URL, shownParams: ReadonlySet<string> = new Set(), withheld = '…'): string {
  let query = '';
  for (const [k, v] of url.searchParams) {
    query += `${query ? '&' : '?'}${encodeURIComponent(k)}=${shownParams.has(k) ? encodeURIComponent(v) : withheld}`;
  }
  return `${url.origin}${url.pathname}${query}`;
}

/** `GET /api/v1/hoc-sinh`: method and path, for error messages. */
export function describeRequest(method: string, url: URL): string {
  return `${method} ${url.pathname}`;
}
