import { userInfo } from 'node:os';
import type { Logger } from 'pino';
import { AuditWriter } from '../audit/audit-writer.js';
import { ALL_SENSITIVITY_CLASSES } from '../auth/sensitivity.js';
import { describeValue } from '../connectors/mapping/value-kind.js';
import type { Sql } from '../db/sql.js';

/** Keys whose values a dry run prints as they are: a record's id and type, and codes of the hub's or the 2025 list. */
const SHOWN_KEYS: ReadonlySet<string> = new Set(['externalId', 'recordType', 'sourceSystem', 'sex', 'birthDatePrecision', 'communeCode', 'communeCodeSet']);

/**
 * Keys whose whole value a dry run withholds: that a child has any (a group's evidence, a screening, a disability, a
 * placement) is itself the sensitive fact (QA re-check: a masked group entry and disability row beside the id told
 * which child had them).
 */
const WITHHELD_KEYS: ReadonlySet<string> = new Set(['groups', 'projections']);

/** Printed in place of a value of {@link WITHHELD_KEYS}. */
export const WITHHELD_VALUE = '‹withheld: whether there is any tells a group or health fact; --show-values prints it›';

/**
 * A mapped record as `connectors dry-run` prints it by default: every key kept, and every value but those of
 * {@link SHOWN_KEYS} told by its kind (`‹text of 13 characters (letters, spaces)›`, `‹12 digits›`), groups and
 * projections withheld whole, flags as they are: what the mapping filled in, what it left empty (`null`) and in which
 * format, without the names, numbers, dates, health facts and group memberships it read (security QA: a dry run printed whole records, with screening results, to any terminal,
 * for a role the hub grants no personal data, and nothing was audited). `--show-values` prints them, audited.
 */
export function maskedRecord(value: unknown, key?: string): unknown {
  if (key !== undefined && WITHHELD_KEYS.has(key)) return WITHHELD_VALUE;
  // Flags are the hub's words (a code, the field, a message saying what was wrong, never the value).
  if (key === 'flags') return value;
  if (value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((v) => maskedRecord(v, key));
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, maskedRecord(v, k)]));
  }
  if (key !== undefined && SHOWN_KEYS.has(key)) return value;
  return `‹${describeValue(value)}›`;
}

/**
 * Records that `connectors dry-run --show-values` put on someone's screen: one audited READ of every class, by the
 * operating-system user who ran it, naming the connector and the records' ids, with the children they are linked to
 * when stored already. Written before the values are printed: no value leaves without its audit row.
 */
export async function auditShownValues(sql: Sql, logger: Logger, connector: string, sourceSystem: string, externalIds: readonly string[]): Promise<void> {
  const linked = externalIds.length
    ? await sql.query<{ child_id: string }>(
      `SELECT DISTINCT child_id FROM source_record WHERE source_system = $1 AND external_id = ANY($2::text[]) AND child_id IS NOT NULL ORDER BY child_id`,
      [sourceSystem, [...externalIds]])
    : [];
  const audit = new AuditWriter(sql, logger);
  await audit.write({
    action: 'READ', operation: 'connectors dry-run --show-values', requestId: null, subject: `cli:${osUser()}`,
    officerId: null, agency: null, unit: null, roles: [], purpose: 'CONNECTOR_DRY_RUN',
    childIds: linked.map((r) => r.child_id), fieldClasses: [...ALL_SENSITIVITY_CLASSES].sort(),
    details: { connector, sourceSystem, externalIds: [...externalIds] },
  });
  await audit.flush();
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
