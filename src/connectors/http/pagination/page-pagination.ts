import type { HttpNext } from '../http-position.js';
import type { PaginationStrategy, ReadPage } from './pagination-strategy.js';

/** `?page=1&size=500`, `?page=2&size=500`, …; a page shorter than `size` is the last. */
export class PagePagination implements PaginationStrategy {
  readonly shownParams: readonly string[];

  constructor(private readonly options: { pageParam: string; sizeParam: string; size: number; firstPage: number }) {
    this.shownParams = [options.pageParam, options.sizeParam];
  }

  first(): Record<string, string> {
    return this.params(this.options.firstPage);
  }

  next(page: ReadPage): HttpNext | null {
    if (page.recordCount < this.options.size) return null;
    const current = Number(page.params?.[this.options.pageParam] ?? this.options.firstPage);
    return { params: this.params(current + 1) };
  }

  private params(n: number): Record<string, string> {
    return { [this.options.pageParam]: String(n), [this.options.sizeParam]: String(this.options.size) };
  }
}
