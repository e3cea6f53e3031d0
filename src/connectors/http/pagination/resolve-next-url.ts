import { ConnectorMalformedResponseError } from '../errors/connector-malformed-response-error.js';

/**
 * Resolves a server-given next-page link against the URL of the page that gave it. A link to another
 * origin is refused: following it would send this connector's credentials to a third party. So is one
 * that is not http or https, or has a user part.
 */
export function resolveNextUrl(link: string, current: URL, where: string): string {
  let next: URL;
  try {
    next = new URL(link, current);
  } catch {
    throw new ConnectorMalformedResponseError(`The next-page link in ${where} is not a URL`, {});
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    // Such a URL has no origin (`null`): its scheme says what it points to. The URL parser keeps a scheme to
    // letters, digits, + - and .; the slice bounds a long one.
    const scheme = next.protocol.slice(0, 32);
    throw new ConnectorMalformedResponseError(`The next-page link in ${where} is a ${scheme} URL, not http or https: not followed`, { scheme });
  }
  // A user part would go out as Basic credentials of its own (QA: evil@ on the source's host was followed,
  // with Authorization: Basic built from it); a baseUrl with one is refused too.
  if (next.username !== '' || next.password !== '') {
    throw new ConnectorMalformedResponseError(`The next-page link in ${where} has a user name or password in its address: not followed`, {});
  }
  if (next.origin !== current.origin) throw new NextLinkOriginError(next.origin, current.origin, where);
  return next.href;
}

/**
 * A next-page link to another origin than the one configured: the reader turns it into a setting to correct
 * (a server behind a proxy names itself by another host), which no retry fixes.
 */
export class NextLinkOriginError extends ConnectorMalformedResponseError {
  constructor(
    readonly linked: string,
    readonly configured: string,
    readonly where: string,
  ) {
    super(`The next-page link in ${where} points to ${linked}, not ${configured}; credentials are only sent to the configured origin`, { origin: linked });
  }
}
