import { compilePath, firstMatch, type CompiledPath } from '../../paths.js';
import { ConnectorMalformedResponseError } from '../errors/connector-malformed-response-error.js';
import type { HttpNext } from '../http-position.js';
import type { PaginationStrategy, ReadPage } from './pagination-strategy.js';
import { resolveNextUrl } from './resolve-next-url.js';

/** The next page's URL read from the body (FHIR: `link[relation=next].url`); none ends the run. */
export class NextLinkPagination implements PaginationStrategy {
  readonly shownParams: readonly string[] = [];
  private readonly path: CompiledPath;

  constructor(private readonly options: { path: string }) {
    this.path = compilePath(options.path);
  }

  first(): Record<string, string> {
    return {};
  }

  next(page: ReadPage): HttpNext | null {
    const link = firstMatch(this.path, page.body);
    if (link === undefined || link === null || link === '') return null;
    if (typeof link !== 'string') {
      throw new ConnectorMalformedResponseError(`The next-page link at ${this.options.path} is not a string`, { path: this.options.path });
    }
    return { url: resolveNextUrl(link, page.url, `the body at ${this.options.path}`) };
  }
}
