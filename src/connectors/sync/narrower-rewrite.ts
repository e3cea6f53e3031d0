import type { Sql } from '../../db/sql.js';
import { GROUP_CLAUSES, type SourceRecordInput } from '../../domain/source-record-input.js';
import { AppError } from '../../errors/app-error.js';
import { RECORD_PROJECTION_TABLES } from '../../services/projections/projection-tables.js';
import type { LoadedConnector } from '../definition/connector-catalog.js';
import type { Projections } from '../types.js';

/**
 * What a copy of a record can hold that a narrower copy loses, one bit each: a record field (the name's parts count as
 * one), a group clause, a projection. `holds` is the test of a stored `source_record` row (`s`).
 */
interface Target {
  name: string;
  /** The mapping fields that give it (record fields only). */
  from?: readonly string[];
  holds: string;
  /** Whether a mapped record has it. */
  has: (r: SourceRecordInput, p: Projections) => boolean;
}

const present = (v: unknown) => v !== null && v !== undefined && v !== '';
const field = (name: string, column: string, from: readonly string[] = [name]): Target => ({
  name, from, holds: `s.${column} IS NOT NULL`, has: (r) => from.some((f) => present((r as unknown as Record<string, unknown>)[f])),
});

const TARGETS: readonly Target[] = [
  field('fullName', 'full_name', ['fullName', 'familyName', 'middleName', 'givenName']),
  field('sex', 'sex'),
  field('birthDate', 'birth_date'),
  { name: 'birthDateEstimated', from: ['birthDateEstimated'], holds: 's.birth_date_estimated', has: (r) => r.birthDateEstimated === true },
  field('communeCode', 'commune_code'),
  field('fatherName', 'father_name'),
  field('motherName', 'mother_name'),
  field('carerName', 'carer_name'),
  field('identityNumber', 'identity_number'),
  ...GROUP_CLAUSES.map((clause): Target => ({
    name: `groups.${clause}`,
    holds: `s.groups @> jsonb_build_array(jsonb_build_object('clause', '${clause}'))`,
    has: (r) => (r.groups ?? []).some((g) => g.clause === clause),
  })),
  ...RECORD_PROJECTION_TABLES.map((t): Target => ({
    name: `projections.${t.kind}`,
    holds: `EXISTS (SELECT 1 FROM ${t.table} p WHERE p.source_record_id = s.id)`,
    has: (_r, p) => ((p as Record<string, unknown[] | undefined>)[t.kind]?.length ?? 0) > 0,
  })),
];
// One bit each, within JavaScript's 32-bit integers.
if (TARGETS.length > 31) throw new Error(`${TARGETS.length} narrower-rewrite targets: more than a mask holds`);

/** The targets a mapped record has a value in, as a mask of {@link TARGETS}' bits. */
export function givenMask(record: SourceRecordInput, projections: Projections): number {
  let mask = 0;
  for (let i = 0; i < TARGETS.length; i++) if (TARGETS[i]!.has(record, projections)) mask |= 1 << i;
  return mask;
}

/**
 * The targets `mappings` (a definition's `records`) have no entry for at all, as a mask: a record field none of them
 * maps, a group clause none of their groups names (none, when one's clause is a value, which may give any), a
 * projection none of them has.
 */
export function notMappedMask(mappings: LoadedConnector['definition']['records']): number {
  const fields = new Set<string>();
  const projections = new Set<string>();
  let clauses: Set<string> | null = new Set();
  for (const m of mappings.filter((x) => x.recordType !== 'facility')) {
    for (const [k, v] of Object.entries(m.fields ?? {})) if (v !== undefined) fields.add(k);
    for (const [k, v] of Object.entries(m.projections ?? {})) if (Array.isArray(v) && v.length) projections.add(k);
    for (const g of m.groups ?? []) {
      if (typeof g.clause === 'string') clauses?.add(g.clause.toLowerCase());
      else clauses = null;
    }
  }
  let mask = 0;
  TARGETS.forEach((t, i) => {
    const mapped = t.from ? t.from.some((f) => fields.has(f))
      : t.name.startsWith('groups.') ? clauses === null || clauses.has(t.name.slice('groups.'.length))
        : projections.has(t.name.slice('projections.'.length));
    if (!mapped) mask |= 1 << i;
  });
  return mask;
}

/** Values a page would take from records another connector stored last: per connector, how many records, and of what. */
export interface NarrowerLoss {
  /** The connector that stored the records last. */
  connector: string;
  /** How many of the page's records would lose something. */
  records: number;
  /** What they would lose (`fatherName`, `groups.d`, `projections.vaccination`), each with how many records hold it. */
  targets: Array<{ target: string; records: number }>;
}

/** What a page is judged by ({@link narrowerLoss}). */
export interface NarrowerJudging {
  sourceSystem: string;
  /** The other connectors of the system defined here and not disabled ({@link siblingsOf}). */
  siblings: readonly string[];
  /** What this connector's mappings have no entry for ({@link notMappedMask}). */
  notMapped: number;
  /**
   * Per connector and value (`connector \0 value`), over the run's pages judged so far: how many records that connector
   * stored last held the value, and how many of them would lose it. Filled by {@link narrowerLoss}.
   */
  tally: Map<string, { held: number; lost: number }>;
}

/**
 * What the page's records stored already (`given`: external id → the {@link givenMask} of its new copy) would lose that
 * the copies one of `judging.siblings` stored last hold (QA: a new health-station connector mapping names and numbers
 * only took parents' names, group evidence and vaccinations from 291 records the health-station connector had stored,
 * and SUCCEEDED; re-check: entries that never give a value, and one record type's mapping covering for another's,
 * did the same past a check of the mapping alone). Per connector and value, the page is held when records of it would
 * lose the value, and the mapping has no entry for it, or, over the run's pages so far, two or more of that connector's
 * records would lose it and they are more than half of those that hold it (QA second re-check: a path giving a few
 * records the value, and pages of one record, each passed a rule judging the page alone). A record or two losing a value
 * most others keep is the source's word (a correction). One query, over the page's stored records; none while no sibling
 * is defined.
 */
export async function narrowerLoss(sql: Sql, judging: NarrowerJudging, given: ReadonlyMap<string, number>): Promise<NarrowerLoss[]> {
  if (judging.siblings.length === 0 || given.size === 0) return [];
  const mask = TARGETS.map((t, i) => `CASE WHEN ${t.holds} THEN ${1 << i} ELSE 0 END`).join(' | ');
  const rows = await sql.query<{ external_id: string; connector: string; held: number }>(
    `SELECT s.external_id, c.name AS connector, (${mask}) AS held
       FROM source_record s JOIN connector_run r ON r.id = s.connector_run_id JOIN connector c ON c.id = r.connector_id
      WHERE s.source_system = $1 AND s.external_id = ANY($2::text[]) AND c.name = ANY($3::text[])`,
    [judging.sourceSystem, [...given.keys()], judging.siblings],
  );
  const byConnector = new Map<string, Array<{ id: string; held: number; lost: number }>>();
  for (const r of rows) {
    const lost = r.held & ~(given.get(r.external_id) ?? 0);
    const list = byConnector.get(r.connector) ?? [];
    byConnector.set(r.connector, list);
    list.push({ id: r.external_id, held: r.held, lost });
  }
  const out: NarrowerLoss[] = [];
  for (const [connector, records] of byConnector) {
    const targets: NarrowerLoss['targets'] = [];
    let losing = 0;
    TARGETS.forEach((t, i) => {
      const bit = 1 << i;
      const held = records.filter((r) => r.held & bit).length;
      const lost = records.filter((r) => r.lost & bit).length;
      if (held === 0) return;
      const key = `${connector}\u0000${t.name}`;
      const run = judging.tally.get(key) ?? { held: 0, lost: 0 };
      run.held += held;
      run.lost += lost;
      judging.tally.set(key, run);
      if (lost > 0 && ((judging.notMapped & bit) !== 0 || (run.lost >= 2 && run.lost * 2 > run.held))) {
        targets.push({ target: t.name, records: lost });
        losing |= bit;
      }
    });
    if (targets.length) out.push({ connector, records: records.filter((r) => r.lost & losing).length, targets });
  }
  return out.sort((a, b) => a.connector.localeCompare(b.connector));
}

/**
 * The other connectors of `definition`'s source system defined here and not disabled: those whose definition is valid
 * and enabled, and those whose folder holds a definition that does not validate now (an edit in progress) that last
 * synced enabled (`connector` rows of the system: `known`), which will sync again once fixed (QA re-check: a typo in a
 * sibling's schedule let a narrower copy empty its records). A connector disabled, or whose folder is gone, is not one:
 * a connector that replaces it may take its records over.
 */
export function siblingsOf(
  definition: LoadedConnector['definition'], valid: readonly LoadedConnector[], invalidFolders: readonly string[], known: ReadonlyArray<{ name: string; enabled: boolean }>,
): string[] {
  const out = new Set(valid
    .filter((c) => c.definition.name !== definition.name && c.definition.sourceSystem === definition.sourceSystem && c.definition.enabled)
    .map((c) => c.definition.name));
  for (const k of known) if (k.name !== definition.name && k.enabled && invalidFolders.includes(k.name)) out.add(k.name);
  return [...out].sort();
}

/**
 * A page whose records another connector defined here stored last, with values this connector's copies would not hold
 * ({@link narrowerLoss}). The page is held, nothing of it stored, and the sync fails; the checkpoint stays before it.
 * Retrying cannot help until the mapping gives those values too, or the other connector is disabled or removed (this one
 * replaces it).
 */
export class MappingNarrowerError extends AppError {
  override readonly name = 'MappingNarrowerError';
  readonly code = 'CONNECTOR_MAPPING_NARROWER';
  // Connector names, the hub's field names, counts and the page's place: the hub's words and configuration only.
  override readonly messageIsSafe = true;
  constructor(readonly connector: string, location: string, records: number, losses: readonly NarrowerLoss[]) {
    const were = (n: number) => `${n} ${n === 1 ? 'was' : 'were'}`;
    const each = losses.map((l) =>
      `${were(l.records)} stored last by connector ${l.connector}, whose ${l.records === 1 ? 'copy holds' : 'copies hold'} ${l.targets.map((t) => `${t.target} (${t.records})`).join(', ')}`);
    const others = losses.map((l) => l.connector).join(', ');
    const many = losses.length > 1;
    super(
      `connector ${connector}, ${location}: of the page's ${records} record${records === 1 ? '' : 's'}, ${each.join('; ')}, which this connector's copies would not: ` +
        `stored, the records would lose those values, while ${many ? 'those connectors, defined here, go' : 'that connector, defined here, goes'} on storing ${many ? 'their' : 'its'} own copies of them. ` +
        'The page was not stored, and the sync stopped before it (the checkpoint is kept). Connectors of one source system share its records: ' +
        `map these values too (connectors dry-run shows what a page maps to), or, if this connector replaces ${others}, disable ${many ? 'them' : 'it'} ` +
        '(enabled: false) or remove its folder',
      { connector, location, records, losses: losses.map((l) => ({ connector: l.connector, records: l.records, targets: l.targets })) },
    );
  }
}
