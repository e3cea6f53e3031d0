import type { AppContext } from '../../src/app/app-context.js';

/**
 * Runs the golden-record stage for every child a source record is linked to, as the worker would after
 * ingest (tests that read children without running a worker). Returns the number of children built or
 * recomputed.
 */
export async function buildChildren(ctx: Pick<AppContext, 'sql' | 'goldenRecords'>): Promise<number> {
  const ids = (await ctx.sql.query<{ child_id: string }>(`SELECT DISTINCT child_id FROM source_record WHERE child_id IS NOT NULL ORDER BY child_id`)).map((r) => r.child_id);
  for (let i = 0; i < ids.length; i += 500) await ctx.goldenRecords.recompute(ids.slice(i, i + 500));
  return ids.length;
}
