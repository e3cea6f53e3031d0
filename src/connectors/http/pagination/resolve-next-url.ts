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
  if (next.origin !== current.origin) {
    throw new ConnectorMalformedResponseError(
      `The next-page link in ${where} points to ${next.origin}, not ${current.origin}; credentials are only sent to the configured origin`,
      { origin: next.origin },
    );
  }
  return next.href;
}
