import { ConnectorMalformedResponseError } from '../errors/connector-malformed-response-error.js';

/**
 * Resolves a server-given next-page link against the URL of the page that gave it. A link to another
 * origin is refused: following it would send this connector's credentials to a third party.
 */
export function resolveNextUrl(link: string, current: URL, where: string): string {
  let next: URL;
  try {
    next = new URL(link, current);
  } catch {
    throw new ConnectorMalformedResponseError(`The next-page link in ${where} is not a URL`, {});
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
