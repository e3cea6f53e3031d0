import type { z } from 'zod';

/**
 * Refuses each entry of a list that names what an earlier one does (by `keyOf`), naming where it is listed already: the
 * list then reads as what it does. Checked on the definition as written, whatever else it holds, so that a repeat is
 * told beside any other problem (QA: not told beside a problem of the records section, nor while another entry of the
 * list was not text). Entries that are not text, or empty, are the list's schema's problem alone.
 * @param path the list's place (`['http', 'optionalPaths']`)
 * @param how how entries are compared, when not as written (` (in any letter case or spacing)`)
 */
export function refuseRepeats(list: unknown, keyOf: (entry: string) => string, path: readonly string[], ctx: z.RefinementCtx, how = ''): void {
  if (!Array.isArray(list)) return;
  const listed = new Map<string, number>();
  list.forEach((raw: unknown, j: number) => {
    if (typeof raw !== 'string' || !raw.trim()) return;
    const entry = raw.trim();
    const key = keyOf(entry);
    const earlier = listed.get(key);
    if (earlier === undefined) listed.set(key, j);
    else ctx.addIssue({ code: 'custom', path: [...path, j], message: `«${entry}» is listed already, at ${path.join('.')}.${earlier}${how}: remove one` });
  });
}
