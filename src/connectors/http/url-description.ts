/**
 * A URL as logs, error messages and views may show it: origin and path, and the query's names with the values
 * of `shownParams` only (page numbers, sizes, the incremental bound). Other values are replaced by `withheld`
 * (`…` in logs): fixed parameters and server-made next links can carry anything, an API key or a name included.
 * So can a server-made link's path (`/students/after/<name>-<number>`, QA): `serverMade` withholds it too.
 */
export function describeUrl(url: URL, shownParams: ReadonlySet<string> = new Set(), withheld = '…', serverMade = false): string {
  let query = '';
  for (const [k, v] of url.searchParams) {
    query += `${query ? '&' : '?'}${encodeURIComponent(k)}=${shownParams.has(k) ? encodeURIComponent(v) : withheld}`;
  }
  return `${url.origin}${serverMade ? `/${withheld}` : url.pathname}${query}`;
}

/** What error details and messages show of a request's path: a server-made link's is withheld (see {@link describeUrl}). */
export function shownPath(url: URL, serverMade = false): string {
  return serverMade ? '(a link the source gave, withheld)' : url.pathname;
}

/** `GET /api/v1/hoc-sinh`: method and path, for error messages; a server-made link's path withheld. */
export function describeRequest(method: string, url: URL, serverMade = false): string {
  return `${method} ${shownPath(url, serverMade)}`;
}
