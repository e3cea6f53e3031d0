import type { AppContext } from '../app/app-context.js';
import type { SourceRecordInput, SourceSystem } from '../domain/source-record-input.js';
import { generateSourceRecords } from '../sample/source-views.js';

export interface SeedOptions {
  /** How many synthetic children to derive records from. */
  children: number;
  seed?: number;
  sources?: SourceSystem[];
  batchSize?: number;
  onProgress?: (done: { records: number; children: number }) => void;
}

export interface SeedResult {
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  childrenCreated: number;
}

/**
 * Loads the synthetic Hà Nội sample through the same ingest path connectors use (validate, normalise,
 * upsert, link, outbox), in batches. Deterministic for a seed, so running it twice changes nothing.
 */
export async function seedSample(ctx: AppContext, opts: SeedOptions): Promise<SeedResult> {
  const batchSize = opts.batchSize ?? 2000;
  const total: SeedResult = { records: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, childrenCreated: 0 };
  let batch: SourceRecordInput[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const r = await ctx.ingest.ingest(batch, { location: 'synthetic sample' });
    total.records += batch.length;
    total.inserted += r.inserted;
    total.updated += r.updated;
    total.unchanged += r.unchanged;
    total.rejected += r.rejected;
    total.childrenCreated += r.childrenCreated;
    ctx.logger.debug({ records: total.records, inserted: r.inserted, rejected: r.rejected, childrenCreated: r.childrenCreated }, 'sample batch ingested');
    batch = [];
    opts.onProgress?.({ records: total.records, children: total.childrenCreated });
  };
  for (const { record } of generateSourceRecords({ seed: opts.seed ?? 2026, count: opts.children, sources: opts.sources })) {
    batch.push(record);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return total;
}
