import type { HttpConfig } from './http.schema.js';
import { createPagination } from './pagination/create-pagination.js';

/**
 * The query parameters of a definition's requests whose values the hub itself makes and may show (logs, views
 * of a checkpoint): the pagination's page, offset and size, and the incremental lower bound. Never a cursor.
 */
export function shownParamsOf(config: Pick<HttpConfig, 'pagination' | 'incremental'>): Set<string> {
  return new Set([...createPagination(config.pagination).shownParams, ...(config.incremental ? [config.incremental.param] : [])]);
}
