import type { HttpNext } from '../http-position.js';
import type { PaginationStrategy, ReadPage } from './pagination-strategy.js';

/**
 * `?offset=0&limit=500`, `?offset=500&limit=500`, … until a page comes back empty; a page shorter than `limit`
 * does not end the run (see page-pagination.ts).
 */
export class OffsetPagination implements PaginationStrategy {
  readonly shownParams: readonly string[];
  readonly pageSize: number;

  constructor(private readonly options: { offsetParam: string; limitParam: string; limit: number }) {
    this.shownParams = [options.offsetParam, options.limitParam];
    this.pageSize = options.limit;
  }

  first(): Record<string, string> {
    return this.params(0);
  }

  next(page: ReadPage): HttpNext | null {
    const current = Number(page.params?.[this.options.offsetParam] ?? 0);
    // Advance by what came back, not by `limit`: a server that sends fewer (but not zero) loses nothing.
    return { params: this.params(current + page.recordCount) };
  }

  private params(offset: number): Record<string, string> {
    return { [this.options.offsetParam]: String(offset), [this.options.limitParam]: String(this.options.limit) };
  }
}
