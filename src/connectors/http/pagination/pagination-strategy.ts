import type { HttpNext } from '../http-position.js';

/** A page just read, as a strategy needs it to find the next one. */
export interface ReadPage {
  /** The parsed body. */
  body: unknown;
  /** The `Link` header, if any. */
  linkHeader: string | undefined;
  /** Records found on the page. */
  recordCount: number;
  /** The URL requested (relative next links resolve against it). */
  url: URL;
  /** The pagination parameters of that request (null when it followed a server-given URL). */
  params: Readonly<Record<string, string>> | null;
}

/** One way of walking the pages of a collection. */
export interface PaginationStrategy {
  /** Pagination query parameters of the first request of a run. */
  first(): Record<string, string>;
  /** Where the next page is, or null when `page` was the last. */
  next(page: ReadPage): HttpNext | null;
  /** Query parameter names whose values are safe to show in logs (numbers and sizes, not cursors). */
  readonly shownParams: readonly string[];
  /**
   * The records per page asked for, when the strategy numbers its pages itself (page, offset): such a run goes
   * on until a page comes back empty, and the reader watches for a server that serves the same page again
   * whatever page is asked (past its end, or ignoring the parameter), which would never give an empty one.
   */
  readonly pageSize?: number;
}
