import type { HttpNext } from '../http-position.js';
import type { PaginationStrategy, ReadPage } from './pagination-strategy.js';
import { resolveNextUrl } from './resolve-next-url.js';

/** The next page's URL in an RFC 8288 `Link: <…>; rel="next"` header; none ends the run. */
export class LinkHeaderPagination implements PaginationStrategy {
  readonly shownParams: readonly string[] = [];

  first(): Record<string, string> {
    return {};
  }

  next(page: ReadPage): HttpNext | null {
    const target = page.linkHeader === undefined ? undefined : nextLinkTarget(page.linkHeader);
    if (target === undefined || target === '') return null;
    return { url: resolveNextUrl(target, page.url, 'the Link header') };
  }
}

const LINK_VALUE = /<([^>]*)>((?:\s*;\s*[^;,=\s]+(?:\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^;,\s"]*))?)*)/g;
const LINK_PARAM = /;\s*([^;,=\s]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,\s"]*)))?/g;

/** The target of the first link whose `rel` holds `next` (rel may list several space-separated types). */
export function nextLinkTarget(header: string): string | undefined {
  for (const link of header.matchAll(LINK_VALUE)) {
    for (const param of (link[2] ?? '').matchAll(LINK_PARAM)) {
      if (param[1]!.toLowerCase() !== 'rel') continue;
      const rel = (param[2] ?? param[3] ?? '').replace(/\\(.)/g, '$1');
      if (rel.toLowerCase().split(/\s+/).includes('next')) return link[1]!.trim();
    }
  }
  return undefined;
}
