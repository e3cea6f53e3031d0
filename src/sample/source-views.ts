/**
 * Per-source views of the synthetic population: what each agency system would hold about each child,
 * as raw payloads plus the normalised fields a connector mapping produces, with the ground truth.
 */
import { SOURCE_SYSTEMS, type SourceRecordInput, type SourceSystem } from '../domain/source-record-input.js';
import { generateChild, type SyntheticChild } from './population.js';
import { forkRandom, hash32, type Random } from './random.js';
import { facilityInspectionViews } from './sources/facility-inspection.js';
import { healthStationViews } from './sources/health-station.js';
import { justiceRegisterViews } from './sources/justice-register.js';
import { schoolViews } from './sources/school.js';
import type { SourceView } from './sources/source-view.js';
import type { Variation } from './variations.js';

export type { SourceView } from './sources/source-view.js';
export type { Variation } from './variations.js';

const VIEWS: Record<SourceSystem, (child: SyntheticChild, rnd: Random) => SourceView[]> = {
  'health-station': healthStationViews,
  school: schoolViews,
  'justice-register': justiceRegisterViews,
  'facility-inspection': facilityInspectionViews,
};

/** The records `source` holds about `child`, each with the variations deliberately applied to it. */
export function sourceViews(source: SourceSystem, child: SyntheticChild, rnd: Random): SourceView[] {
  return VIEWS[source](child, rnd);
}

/** The records `source` holds about `child` (0 or more). `rnd` decides coverage and variations. */
export function recordsFor(source: SourceSystem, child: SyntheticChild, rnd: Random): SourceRecordInput[] {
  return sourceViews(source, child, rnd).map((v) => v.record);
}

const SOURCE_SALT: Record<SourceSystem, number> = {
  'health-station': 0x68656c,
  school: 0x736368,
  'justice-register': 0x6a7573,
  'facility-inspection': 0x666163,
};

/** The stream a source uses for one child: independent per (seed, source, index). */
export function sourceRandom(seed: number, source: SourceSystem, index: number): Random {
  return forkRandom(hash32(seed, SOURCE_SALT[source]), index);
}

/** One generated source record with its ground truth. */
export interface GeneratedSourceRecord {
  record: SourceRecordInput;
  /** The synthetic child the record is about. */
  truthId: string;
  /** Deliberate differences from the truth (empty for a faithful record). */
  variations: Variation[];
}

export interface SourceRecordOptions {
  /** Same seed, same records. */
  seed: number;
  /** Population size. */
  count: number;
  /** Sources to generate, in this order per child. @defaultValue all four */
  sources?: readonly SourceSystem[];
  /** First child index (for sharding). @defaultValue 0 */
  start?: number;
  /** Child index after the last one. @defaultValue count */
  end?: number;
}

/**
 * Yields every source record of children `start … end-1`, child by child and within a child in the order
 * of `sources`. The order and content depend only on the options, so re-generation is identical.
 */
export function* generateSourceRecords(options: SourceRecordOptions): Generator<GeneratedSourceRecord> {
  const { seed, count, sources = SOURCE_SYSTEMS, start = 0, end = count } = options;
  const wanted = SOURCE_SYSTEMS.filter((s) => sources.includes(s));
  for (let i = Math.max(0, start); i < Math.min(end, count); i++) {
    const child = generateChild(seed, i, count);
    for (const source of wanted) {
      for (const view of sourceViews(source, child, sourceRandom(seed, source, i))) {
        yield { record: view.record, truthId: child.truthId, variations: view.variations };
      }
    }
  }
}

/** The ground truth of {@link generateSourceRecords}: which child each (source, externalId) is about. */
export interface GroundTruthEntry {
  sourceSystem: SourceSystem;
  externalId: string;
  truthId: string;
  variations: Variation[];
}

/** The ground-truth pairing for the same options, without the payloads. */
export function* generateGroundTruth(options: SourceRecordOptions): Generator<GroundTruthEntry> {
  for (const { record, truthId, variations } of generateSourceRecords(options)) {
    yield { sourceSystem: record.sourceSystem, externalId: record.externalId, truthId, variations };
  }
}
