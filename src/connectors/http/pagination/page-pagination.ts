import type { HttpNext } from '../http-position.js';
import type { PaginationStrategy, ReadPage } from './pagination-strategy.js';

/**
 * `?page=1&size=500`, `?page=2&size=500`, … until a page comes back empty. A page shorter than `size` does not
 * end the run: a server whose own maximum is below `size` sends short pages all along, and stopping at the
 * first would leave the rest of the collection unread without a word (the reader tells a server that serves
 * its last page again past the end, see {@link PaginationStrategy.pageSize}).
 */
export class PagePagination implements PaginationStrategy {
  readonly shownParams: readonly string[];
  readonly pageSize: number;

  constructor(private readonly options: { pageParam: string; sizeParam: string; size: number; firstPage: number }) {
    this.shownParams = [options.pageParam, options.sizeParam];
    this.pageSize = options.size;
  }

  first(): Record<string, string> {
    return this.params(this.options.firstPage);
  }

  next(page: ReadPage): HttpNext | null {
    const current = Number(page.params?.[this.options.pageParam] ?? this.options.firstPage);
    return { params: this.params(current + 1) };
  }

  private params(n: number): Record<string, string> {
    return { [this.options.pageParam]: String(n), [this.options.sizeParam]: String(this.options.size) };
  }
}
