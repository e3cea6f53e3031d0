import type { z } from 'zod';

/**
 * Refuses an entry of a list that names what an earlier one does (by `keyOf`), naming where it is listed already: the list
 * then reads as what it does. A check of the list itself, so that it is told whatever else the definition holds (QA: a
 * repeat was not told, then not beside a problem of the records section).
 * @param listPath the list's place, as problems name it (`http.optionalPaths`)
 * @param how how entries are compared, when not as written (` (in any letter case or spacing)`)
 */
export function refuseRepeats(keyOf: (entry: string) => string, listPath: string, how = '') {
  return (list: readonly string[], ctx: z.RefinementCtx): void => {
    const listed = new Map<string, number>();
    list.forEach((entry, j) => {
      const key = keyOf(entry);
      const earlier = listed.get(key);
      if (earlier === undefined) listed.set(key, j);
      else ctx.addIssue({ code: 'custom', path: [j], message: `«${entry}» is listed already, at ${listPath}.${earlier}${how}: remove one` });
    });
  };
}
