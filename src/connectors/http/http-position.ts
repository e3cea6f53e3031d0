import { z } from 'zod';
import type { ReaderPosition } from '../types.js';
import { ConnectorCheckpointInvalidError } from './errors/connector-checkpoint-invalid-error.js';

/**
 * Where the next request of a run goes: the query parameters of a page (page, offset, cursor — added to the
 * run's base request), or the full URL the server gave (nextLink, linkHeader; never holding an API key).
 */
export type HttpNext = { url: string } | { params: Record<string, string> };

/**
 * The checkpoint of an http reader.
 * - During a run: the run's lower bound, the next request (null after the last page), the greatest
 *   last-modified value seen so far (the previous run's included) and the number of pages done.
 * - After a run ({@link HttpReader.complete}): only `highWater`; the next run starts at highWater − lookback.
 */
export interface HttpPosition {
  /** The incremental lower bound of the run, as sent (null: everything). */
  since: string | null;
  next: HttpNext | null;
  highWater: string | null;
  /** Pages done in this run; the next batch is `page + 1`. */
  page: number;
  /**
   * The run's cut-off, an instant: when its first page was asked for, by the source's clock where its answer
   * told it (`Date`), else the hub's. Last-modified values after it are changes made while the run paged,
   * perhaps to records on pages already read: they are left out of the high-water mark, so the next run
   * reads them. Kept across a resumption, which must not move it. Null until the first page's answer.
   */
  upTo?: string | null;
}

const nextSchema = z.union([
  z.object({ url: z.string().min(1) }).strict(),
  z.object({ params: z.record(z.string(), z.string()) }).strict(),
]);

const positionSchema = z
  .object({
    since: z.string().nullable().default(null),
    next: nextSchema.nullable().default(null),
    highWater: z.string().nullable().default(null),
    page: z.number().int().nonnegative().default(0),
    upTo: z.string().nullable().default(null),
  })
  .strict();

/** Reads a stored checkpoint (null: none); one written by another kind of reader is refused. */
export function parseHttpPosition(position: ReaderPosition | null): HttpPosition | null {
  if (position === null) return null;
  const parsed = positionSchema.safeParse(position);
  if (!parsed.success) {
    const paths = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))];
    throw new ConnectorCheckpointInvalidError(`The stored checkpoint is not an http reader position (at ${paths.join(', ')})`, {
      paths,
    });
  }
  return parsed.data;
}

/** Lenient reading for `complete`: the high-water mark of whatever is given, or null. */
export function highWaterOf(position: ReaderPosition | null): string | null {
  const hw = position?.['highWater'];
  return typeof hw === 'string' ? hw : null;
}
