import type { Sql } from '../../db/sql.js';
import { AppError } from '../../errors/app-error.js';
import { RECORD_PROJECTION_TABLES } from '../../services/projections/projection-tables.js';
import type { LoadedConnector } from '../definition/connector-catalog.js';

/**
 * A record field another connector's copy of a record may hold: the mapping fields that give it, and the test of a
 * stored `source_record` row (`s`) that holds it. The name's parts count as one: a mapping giving any of them gives
 * the name.
 */
const FIELDS: ReadonlyArray<{ field: string; from: readonly string[]; holds: string }> = [
  { field: 'fullName', from: ['fullName', 'familyName', 'middleName', 'givenName'], holds: 's.full_name IS NOT NULL' },
  { field: 'sex', from: ['sex'], holds: 's.sex IS NOT NULL' },
  { field: 'birthDate', from: ['birthDate'], holds: 's.birth_date IS NOT NULL' },
  { field: 'birthDateEstimated', from: ['birthDateEstimated'], holds: 's.birth_date_estimated' },
  { field: 'communeCode', from: ['communeCode'], holds: 's.commune_code IS NOT NULL' },
  { field: 'fatherName', from: ['fatherName'], holds: 's.father_name IS NOT NULL' },
  { field: 'motherName', from: ['motherName'], holds: 's.mother_name IS NOT NULL' },
  { field: 'carerName', from: ['carerName'], holds: 's.carer_name IS NOT NULL' },
  { field: 'identityNumber', from: ['identityNumber'], holds: 's.identity_number IS NOT NULL' },
];

/**
 * What a connector's mapping gives none of, whatever its records hold: record fields it has no entry for, group
 * clauses none of its groups names (none when a group's clause is a value, which may give any), and projections it
 * has no entry for. Stored, a record rewritten by this connector has these empty, whatever another connector stored
 * there.
 */
export interface NotMapped {
  fields: ReadonlyArray<{ field: string; holds: string }>;
  /** The clauses the mapping's groups name (lower-cased), or null when one is a value (any clause). */
  clauses: readonly string[] | null;
  projections: ReadonlyArray<{ kind: string; table: string }>;
}

/** What `mappings` (a definition's `records`) give none of ({@link NotMapped}); null for a connector of facility records only. */
export function notMappedBy(mappings: LoadedConnector['definition']['records']): NotMapped | null {
  const children = mappings.filter((m) => m.recordType !== 'facility');
  if (children.length === 0) return null;
  const fields = new Set<string>();
  const projections = new Set<string>();
  let clauses: Set<string> | null = new Set();
  for (const m of children) {
    for (const [k, v] of Object.entries(m.fields ?? {})) if (v !== undefined) fields.add(k);
    for (const [k, v] of Object.entries(m.projections ?? {})) if (Array.isArray(v) && v.length) projections.add(k);
    for (const g of m.groups ?? []) {
      if (typeof g.clause === 'string') clauses?.add(g.clause.toLowerCase());
      else clauses = null;
    }
  }
  return {
    fields: FIELDS.filter((f) => !f.from.some((x) => fields.has(x))),
    clauses: clauses ? [...clauses] : null,
    projections: RECORD_PROJECTION_TABLES.filter((t) => !projections.has(t.kind)).map((t) => ({ kind: t.kind, table: t.table })),
  };
}

/** Values a page would take from the records another connector stored last: per connector, how many records, and of what. */
export interface NarrowerLoss {
  /** The connector that stored the records last. */
  connector: string;
  /** How many of the page's records would lose something. */
  records: number;
  /** What they would lose (`fatherName`, `groups.d`, `projections.vaccination`), each with how many records hold it. */
  targets: Array<{ target: string; records: number }>;
}

/**
 * The page's stored records (`externalIds` of `sourceSystem`) that one of `siblings` stored last and that hold a value
 * `notMapped` says this connector's mapping gives none of: rewritten, they would lose it (QA: a new connector of the
 * health-station system mapping names and numbers only, its sync SUCCEEDED, took parents' names, group evidence and
 * vaccinations from 291 records the health-station connector had stored; and each of the two connectors' syncs would
 * undo the other's after). One query, over the page's ids that are stored; none when nothing can be lost.
 */
export async function narrowerLoss(
  sql: Sql,
  args: { sourceSystem: string; siblings: readonly string[]; notMapped: NotMapped | null },
  externalIds: readonly string[],
): Promise<NarrowerLoss[]> {
  const { notMapped } = args;
  if (!notMapped || args.siblings.length === 0 || externalIds.length === 0) return [];
  const params: unknown[] = [args.sourceSystem, externalIds, args.siblings];
  const parts = [
    ...notMapped.fields.map((f) => `SELECT connector, id, '${f.field}' AS target FROM s WHERE ${f.holds}`),
    ...(notMapped.clauses === null ? [] : [
      `SELECT connector, id, 'groups.' || coalesce(g->>'clause', '?') FROM s CROSS JOIN LATERAL jsonb_array_elements(s.groups) g
        WHERE NOT (coalesce(g->>'clause', '') = ANY($${params.push(notMapped.clauses)}::text[]))`,
    ]),
    ...notMapped.projections.map((p) => `SELECT connector, id, 'projections.${p.kind}' FROM s WHERE EXISTS (SELECT 1 FROM ${p.table} p WHERE p.source_record_id = s.id)`),
  ];
  if (parts.length === 0) return [];
  const rows = await sql.query<{ connector: string; target: string | null; records: number }>(
    `WITH s AS MATERIALIZED (
       SELECT s.id, s.full_name, s.sex, s.birth_date, s.birth_date_estimated, s.commune_code, s.father_name, s.mother_name, s.carer_name,
              s.identity_number, s.groups, c.name AS connector
         FROM source_record s JOIN connector_run r ON r.id = s.connector_run_id JOIN connector c ON c.id = r.connector_id
        WHERE s.source_system = $1 AND s.external_id = ANY($2::text[]) AND c.name = ANY($3::text[])
     )
     SELECT connector, target, count(DISTINCT id)::int AS records
       FROM (${parts.join('\n UNION ALL ')}) AS t(connector, id, target)
      GROUP BY GROUPING SETS ((connector, target), (connector))
      ORDER BY connector, target NULLS FIRST`,
    params,
  );
  const out = new Map<string, NarrowerLoss>();
  for (const r of rows) {
    const loss = out.get(r.connector) ?? { connector: r.connector, records: 0, targets: [] };
    out.set(r.connector, loss);
    if (r.target === null) loss.records = r.records;
    else loss.targets.push({ target: r.target, records: r.records });
  }
  // Record fields in the hub's order, then groups, then projections.
  const rank = (t: string) => {
    const field = FIELDS.findIndex((f) => f.field === t);
    return field >= 0 ? field : t.startsWith('groups.') ? FIELDS.length : FIELDS.length + 1;
  };
  for (const loss of out.values()) loss.targets.sort((a, b) => rank(a.target) - rank(b.target) || a.target.localeCompare(b.target));
  return [...out.values()];
}

/**
 * The other connectors defined and enabled here that feed `definition`'s source system: they will sync again, so a
 * narrower mapping's copy and theirs would undo each other on every sync. A connector disabled, or whose folder is
 * gone, is not one: a connector that replaces it may take its records over.
 */
export function activeSiblings(all: readonly LoadedConnector[], definition: LoadedConnector['definition']): string[] {
  return all
    .filter((c) => c.definition.name !== definition.name && c.definition.sourceSystem === definition.sourceSystem && c.definition.enabled)
    .map((c) => c.definition.name);
}

/**
 * A page whose records another connector defined and enabled here stored last, with values this connector's mapping
 * gives none of ({@link narrowerLoss}). The page is held, nothing of it stored, and the sync fails; the checkpoint
 * stays before it. Retrying cannot help until the mapping gives those values too, or the other connector is disabled
 * or removed (this one replaces it).
 */
export class MappingNarrowerError extends AppError {
  override readonly name = 'MappingNarrowerError';
  readonly code = 'CONNECTOR_MAPPING_NARROWER';
  // Connector names, the hub's field names, counts and the page's place: the hub's words and configuration only.
  override readonly messageIsSafe = true;
  constructor(readonly connector: string, location: string, records: number, losses: readonly NarrowerLoss[]) {
    const each = losses.map((l) =>
      `${l.records} were stored last by connector ${l.connector}, and hold ${l.targets.map((t) => `${t.target} (${t.records})`).join(', ')}`);
    const others = losses.map((l) => l.connector).join(', ');
    super(
      `connector ${connector}, ${location}: of the page's ${records} records, ${each.join('; ')}, which this connector's mapping gives none of: ` +
        `stored, they would lose them, and each sync of ${losses.length > 1 ? 'those connectors' : 'that connector'}, defined and enabled here, would put it back. ` +
        'The page was not stored, and the sync stopped before it (the checkpoint is kept). Connectors of one source system share its records: ' +
        `map these values too (connectors dry-run shows what a page maps to), or, if this connector replaces ${others}, disable ${losses.length > 1 ? 'them' : 'it'} ` +
        '(enabled: false) or remove its folder',
      { connector, location, records, losses: losses.map((l) => ({ connector: l.connector, records: l.records, targets: l.targets })) },
    );
  }
}
