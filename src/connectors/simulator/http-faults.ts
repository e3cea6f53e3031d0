/**
 * Fault injection for the source simulators: the "weather" a connector must survive (rate limits, server
 * errors, hung requests, bad records, repeated pages, shuffled pages), deterministic by seed so that a
 * failing test or benchmark can be replayed exactly.
 */
import { z } from 'zod';
import { forkRandom, hash32, type Random } from '../../sample/random.js';

const rate = (what: string) => z.number().min(0).max(1).describe(`${what} (a probability from 0 to 1). @defaultValue 0`);

/** What can go wrong, and how often. Every field is optional; `{}` means a well-behaved server. */
export const httpFaultsSchema = z
  .strictObject({
    rateLimitEvery: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Every Nth data request (counted after authentication) is refused with HTTP 429 and Retry-After.'),
    retryAfterSeconds: z.number().int().min(0).optional().describe('The Retry-After of a 429, in seconds. @defaultValue 1'),
    errorRate: rate('Share of data requests answered with HTTP 500').optional(),
    timeoutRate: rate('Share of data requests never answered (the connection is held until the client gives up)').optional(),
    malformedRecordRate: rate(
      'Share of records served broken: an impossible date, a missing id, a missing required field or a value of the wrong type. The same record is broken every time it is served',
    ).optional(),
    repeatPageRate: rate('Share of requests for a page after the first that are answered with the previous page again (with a link that still leads on)').optional(),
    reorderWithinPage: z.boolean().optional().describe('Shuffle the records within each page (paging stays complete). @defaultValue false'),
    seed: z.number().int().optional().describe('Seed of the fault draws. @defaultValue the simulator\'s population seed'),
  })
  .refine((f) => (f.errorRate ?? 0) + (f.timeoutRate ?? 0) <= 1, { message: 'errorRate + timeoutRate must not exceed 1' })
  .describe('Fault injection of a source simulator.');

export type HttpFaults = z.infer<typeof httpFaultsSchema>;

/** What happens to one data request, decided before it is answered. */
export type RequestFault = 'rateLimit' | 'timeout' | 'error' | null;

/** Counts of injected faults since start (or since the faults were last set). */
export interface FaultCounts {
  rateLimited: number;
  errors: number;
  timeouts: number;
  repeatedPages: number;
  malformedRecords: number;
  reorderedPages: number;
}

/** FNV-1a over a string: keys (record ids, page tokens) become numbers for {@link hash32}. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Draws faults for a simulator. Request-level faults (429, 500, timeout, repeat) come from one stream in
 * request order; record-level ones (malformed, shuffle) are a hash of the record or page key, so the same
 * record is broken on every read whatever the order of requests.
 */
export class FaultInjector {
  private faults: HttpFaults = {};
  private stream: Random;
  private dataRequests = 0;
  private seed: number;
  readonly counts: FaultCounts = { rateLimited: 0, errors: 0, timeouts: 0, repeatedPages: 0, malformedRecords: 0, reorderedPages: 0 };

  constructor(
    faults: HttpFaults | undefined,
    private readonly defaultSeed: number,
  ) {
    this.seed = defaultSeed;
    this.stream = forkRandom(hash32(defaultSeed, 0x666c74), 0);
    this.set(faults ?? {});
  }

  /** Replaces the faults (validated; throws a ZodError on a bad one) and restarts the draws. */
  set(faults: unknown): HttpFaults {
    this.faults = httpFaultsSchema.parse(faults);
    this.seed = this.faults.seed ?? this.defaultSeed;
    this.stream = forkRandom(hash32(this.seed, 0x666c74), 0);
    this.dataRequests = 0;
    return this.get();
  }

  get(): HttpFaults {
    return { ...this.faults };
  }

  get retryAfterSeconds(): number {
    return this.faults.retryAfterSeconds ?? 1;
  }

  /** The fate of the next data request, and whether a non-first page should repeat the previous one. */
  nextRequest(): { fault: RequestFault; repeatPage: boolean } {
    this.dataRequests++;
    // Both draws happen on every request so that changing one rate does not shift the other's sequence.
    const u = this.stream.next();
    const repeat = this.stream.next() < (this.faults.repeatPageRate ?? 0);
    const every = this.faults.rateLimitEvery;
    if (every && this.dataRequests % every === 0) {
      this.counts.rateLimited++;
      return { fault: 'rateLimit', repeatPage: false };
    }
    const timeoutRate = this.faults.timeoutRate ?? 0;
    if (u < timeoutRate) {
      this.counts.timeouts++;
      return { fault: 'timeout', repeatPage: false };
    }
    if (u < timeoutRate + (this.faults.errorRate ?? 0)) {
      this.counts.errors++;
      return { fault: 'error', repeatPage: false };
    }
    return { fault: null, repeatPage: repeat };
  }

  /** Zeroes the counts of injected faults. */
  resetCounts(): void {
    for (const k of Object.keys(this.counts) as Array<keyof FaultCounts>) this.counts[k] = 0;
  }

  /** Call when a repeat was actually served (the first page cannot repeat). */
  countRepeat(): void {
    this.counts.repeatedPages++;
  }

  /** Which of `variants` ways to break the record with this key, or null to serve it intact. */
  malformedVariant(key: string, variants: number): number | null {
    const r = this.faults.malformedRecordRate ?? 0;
    if (r <= 0) return null;
    const h = fnv1a(key);
    if (hash32(hash32(this.seed, 0x6d616c), h) / 0x1_0000_0000 >= r) return null;
    this.counts.malformedRecords++;
    return hash32(hash32(this.seed, 0x766172), h) % variants;
  }

  /** The page's items in a seeded random order when `reorderWithinPage` is on (in place); else unchanged. */
  reorder<T>(items: T[], pageKey: string): T[] {
    if (!this.faults.reorderWithinPage || items.length < 2) return items;
    this.counts.reorderedPages++;
    const rnd = forkRandom(hash32(this.seed, 0x736866), fnv1a(pageKey));
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(rnd.next() * (i + 1));
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
    return items;
  }
}
