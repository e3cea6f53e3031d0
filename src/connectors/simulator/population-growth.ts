/**
 * The children a source gains after its first export: newborns registered, pupils enrolling, new patients.
 *
 * The simulators hold the synthetic population's children `0 … count-1`. The children they add later are the
 * ones that follow in the same population (from {@link firstNewChildIndex} on, in index order), generated from
 * the same seed: every simulator that adds records adds the same children in the same order, so a child the
 * school simulator adds is the same child (name, birth date, personal number, parents …) as the one the
 * health-station simulator or a later justice-register drop adds, with the ground truth (`truthId`) to prove it.
 * The population-database simulator knows them too, up to its `growth` (`--growth`, 10,000 children by default).
 */
import type { SourceRecordInput, SourceSystem } from '../../domain/source-record-input.js';
import { generateChild, type SyntheticChild } from '../../sample/population.js';
import { sourceRandom, sourceViews } from '../../sample/source-views.js';

/**
 * Index of the first child added to a population of `count`: `count`, or `count + 1` when `count` is odd.
 * Consecutive indexes `2k`, `2k+1` may be twins, and a population of odd size holds the first of such a pair
 * as a single child (see `generateChild`'s `count`); skipping its partner keeps that child as it was served.
 */
export function firstNewChildIndex(count: number): number {
  return count + (count % 2);
}

/**
 * Child `index` as the simulators hold it: `0 … count-1` as generated for a population of `count`, the
 * children added later as the population continues.
 */
export function populationChild(seed: number, count: number, index: number): SyntheticChild {
  return generateChild(seed, index, index < count ? count : Number.POSITIVE_INFINITY);
}

/** One record a source gains, with its ground truth. */
export interface NewSourceRecord {
  /** The record as generated (its last-modified time is the generator's; a simulator sets its own). */
  record: SourceRecordInput;
  /** The synthetic child it is about. */
  child: SyntheticChild;
  /** Which of the child's records in this source it is (0, or 1 for a health station's second record). */
  position: number;
  /** Every record the source holds about the child, in order (a health station's history spans them). */
  ofChild: readonly SourceRecordInput[];
}

/** What a simulator added. */
export interface AddedRecords {
  /** External ids of the records added, in the order added. */
  ids: string[];
  /** The synthetic child (`T…`) each record is about, in the same order: the ground truth across sources. */
  truthIds: string[];
}

/** Children (or records passed over) in a row without one record wanted before giving up, rather than loop for ever. */
const MAX_BARREN_CHILDREN = 1_000_000;

/**
 * The records a source gains, child after child past the population: each call to {@link take} continues
 * where the last stopped. Deterministic for (seed, count, source).
 */
export class NewSourceRecords {
  private nextIndex: number;
  private readonly pending: NewSourceRecord[] = [];

  constructor(
    private readonly seed: number,
    private readonly count: number,
    private readonly source: SourceSystem,
  ) {
    this.nextIndex = firstNewChildIndex(count);
  }

  /** Index of the next child to be looked at. */
  get nextChildIndex(): number {
    return this.nextIndex;
  }

  /**
   * The next `n` records the source gains, children in index order. A child with two records may have the
   * second in the next call. Records `accept` refuses are passed over for good (a writer that only writes some
   * inspection rounds).
   */
  take(n: number, accept: (record: NewSourceRecord) => boolean = () => true): NewSourceRecord[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError('n must be a non-negative integer');
    const out: NewSourceRecord[] = [];
    let passedOver = 0;
    while (out.length < n) {
      const next = this.pending.shift() ?? this.generate();
      if (accept(next)) out.push(next);
      else if (++passedOver > MAX_BARREN_CHILDREN) throw new Error(`no wanted ${this.source} record among ${MAX_BARREN_CHILDREN} further records`);
    }
    return out;
  }

  /** Generates children until one has records; queues all of them but the first, and returns that. */
  private generate(): NewSourceRecord {
    for (let barren = 0; barren < MAX_BARREN_CHILDREN; barren++) {
      const index = this.nextIndex++;
      const child = populationChild(this.seed, this.count, index);
      const records = sourceViews(this.source, child, sourceRandom(this.seed, this.source, index)).map((v) => v.record);
      if (records.length === 0) continue;
      const all = records.map((record, position) => ({ record, child, position, ofChild: records }));
      this.pending.push(...all.slice(1));
      return all[0]!;
    }
    throw new Error(`no ${this.source} record among ${MAX_BARREN_CHILDREN} further children`);
  }
}
