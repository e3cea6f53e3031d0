import type { HttpRequest, SendContext } from '../http-transport.js';

/** Puts credentials on outgoing requests. */
export interface HttpAuth {
  /** The request with credentials added (the input is not changed). */
  authorize(request: HttpRequest, ctx: SendContext): Promise<HttpRequest>;
  /**
   * After a 401: obtains fresh credentials and says whether one more try is worth it (only tokens that can
   * be refreshed; a fixed key stays wrong).
   */
  refreshAfterUnauthorized(ctx: SendContext): Promise<boolean>;
  /** Obtains whatever credentials need obtaining (a token) without sending a request; for `check`. */
  prepare(ctx: SendContext): Promise<void>;
  /** The query parameter carrying a key, if any: kept out of stored next-page links and logs. */
  readonly queryParam: string | undefined;
  /** What to check when the source refuses the credentials (names the variables, never the values). */
  readonly hint: string;
}
