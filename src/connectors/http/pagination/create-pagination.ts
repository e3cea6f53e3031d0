import type { PaginationConfig } from '../http.schema.js';
import { CursorPagination } from './cursor-pagination.js';
import { LinkHeaderPagination } from './link-header-pagination.js';
import { NextLinkPagination } from './next-link-pagination.js';
import { NoPagination } from './no-pagination.js';
import { OffsetPagination } from './offset-pagination.js';
import { PagePagination } from './page-pagination.js';
import type { PaginationStrategy } from './pagination-strategy.js';

/** The strategy of a definition's `pagination`. */
export function createPagination(config: PaginationConfig): PaginationStrategy {
  switch (config.type) {
    case 'page':
      return new PagePagination(config);
    case 'offset':
      return new OffsetPagination(config);
    case 'cursor':
      return new CursorPagination(config);
    case 'nextLink':
      return new NextLinkPagination(config);
    case 'linkHeader':
      return new LinkHeaderPagination();
    case 'none':
      return new NoPagination();
  }
}
