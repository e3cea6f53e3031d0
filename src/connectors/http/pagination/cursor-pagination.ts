import { compilePath, firstMatch, type CompiledPath } from '../../paths.js';
import { ConnectorMalformedResponseError } from '../errors/connector-malformed-response-error.js';
import type { HttpNext } from '../http-position.js';
import { isStorableText } from '../../../services/ingest/storable-text.js';
import type { PaginationStrategy, ReadPage } from './pagination-strategy.js';

/** An opaque cursor read from the body at `cursorPath` and sent back in `cursorParam`; none (absent, null, empty or false) ends the run. */
export class CursorPagination implements PaginationStrategy {
  readonly shownParams: readonly string[];
  private readonly cursorPath: CompiledPath;

  constructor(private readonly options: { cursorParam: string; cursorPath: string; sizeParam?: string | undefined; size?: number | undefined }) {
    this.cursorPath = compilePath(options.cursorPath);
    // Cursors are opaque and may encode anything: only the size is shown.
    this.shownParams = options.sizeParam ? [options.sizeParam] : [];
  }

  first(): Record<string, string> {
    return this.sizeParams();
  }

  next(page: ReadPage): HttpNext | null {
    const cursor = firstMatch(this.cursorPath, page.body);
    // `false` is how some APIs say "no more" (`"next_cursor": false`, QA): not a cursor to send back.
    if (cursor === undefined || cursor === null || cursor === '' || cursor === false) return null;
    if (typeof cursor === 'object') {
      throw new ConnectorMalformedResponseError(`The next cursor at ${this.options.cursorPath} is not a string or number`, {
        cursorPath: this.options.cursorPath,
      });
    }
    // The cursor goes into the checkpoint (jsonb), which cannot hold a NUL or half a UTF-16 pair: refused here,
    // naming where it was, rather than failing the page's transaction with a raw database error (QA re-check).
    if (typeof cursor === 'string' && !isStorableText(cursor)) {
      throw new ConnectorMalformedResponseError(
        `The next cursor at ${this.options.cursorPath} holds a NUL character or half of a UTF-16 pair, which no checkpoint can keep`,
        { cursorPath: this.options.cursorPath },
      );
    }
    return { params: { [this.options.cursorParam]: String(cursor), ...this.sizeParams() } };
  }

  private sizeParams(): Record<string, string> {
    const { sizeParam, size } = this.options;
    return sizeParam !== undefined && size !== undefined ? { [sizeParam]: String(size) } : {};
  }
}
