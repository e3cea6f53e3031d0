import type { PaginationStrategy } from './pagination-strategy.js';

/** One response holds every record. */
export class NoPagination implements PaginationStrategy {
  readonly shownParams: readonly string[] = [];

  first(): Record<string, string> {
    return {};
  }

  next(): null {
    return null;
  }
}
