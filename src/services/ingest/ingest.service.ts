import { hash } from 'node:crypto';
import pg, { type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import { newId } from '../../db/ids.js';
import type { Sql } from '../../db/sql.js';
import { CopyEncoder, copyBool, copyJsonText, copyRows, copyText, decodeCopyFields } from '../../db/copy-text.js';
import { MARK_CHANGED, markChildrenChanged } from '../changes/child-changes.js';
import { OUTBOX_TOPICS, writeOutbox } from '../outbox/outbox.writer.js';
import type { MappingFlag } from '../../connectors/types.js';
import { IDENTITY_NUMBER_FROM_NUMBER, IDENTITY_NUMBER_ZEROS_LOST } from '../../connectors/mapping/parse-identity-number.js';
import type { RecordLayout, RecordText } from '../../domain/record-layout.js';
import type { SourceRecordInput } from '../../domain/source-record-input.js';
import { lockQuarantine } from './quarantine-lock.js';
import { rejectLocation } from './reject-location.js';
import { normalizeSourceRecord, type NormalizedSourceRecord } from './source-record.normalizer.js';
import { validateSourceRecord, type RecordProblem } from './source-record.validator.js';
import { LONE_SURROGATE_MESSAGE, isStorableText, jsonHasLoneSurrogate, storableJsonText } from './storable-text.js';
import { yieldIfBusy } from './yield.js';

export interface IngestOptions {
  connectorId?: string | null;
  connectorRunId?: string | null;
  /** Where in the source the batch came from (page, file and row), kept with rejects. */
  location?: string | null;
  /**
   * A record whose id this run (`connectorRunId`) stored already, from an earlier batch, with other content
   * is flagged `REPEATED_ID` and reported ({@link IngestResult.repeatedWithOtherContent}): a file export that
   * lists an id twice. Not for an API, whose record may change while a sync pages through it.
   */
  flagRepeatsInRun?: boolean;
  /**
   * With {@link flagRepeatsInRun}: whether this run read the record stored under `externalId` as it is
   * stored (content hash `storedHash`) earlier, judged unchanged and so never written. A record of the batch
   * that then updates it repeats an id of the run with other content, as one updating a row the run wrote
   * does. Asked only of records written by key, with the stored hash the repeat check reads anyway.
   */
  readEarlierInRun?: (externalId: string, storedHash: string) => boolean;
  /**
   * With {@link flagRepeatsInRun}: only what the run stored from this time on (PostgreSQL's clock) is an earlier copy.
   * A run going on after the file it stopped in was replaced read the rows it stored before from bytes no longer there
   * (QA: 8,000 records flagged REPEATED_ID against a file that repeats no id).
   */
  repeatsSince?: string;
  /**
   * A record older, by `sourceUpdatedAt`, than the copy stored under its key (or read earlier in the batch) is not
   * stored: the newer copy is kept, and the record counted unchanged and reported ({@link IngestResult.olderCopies}).
   * Only for a source whose `sourceUpdatedAt` is when the record last changed (an HTTP connector's incremental cursor):
   * a stale replica or cache served an older copy after a newer one (QA: the older copy replaced the newer one, and
   * the high-water mark, past the newer one's stamp, kept every later incremental read from putting it right). A
   * register's date (of a registration, of an inspection) may be corrected to an earlier one: not for those.
   */
  keepNewerStored?: boolean;
}

/** One record to ingest, with what a connector knows about it beyond the record itself. */
export interface IngestItem {
  /** The candidate source record (validated here). */
  input: unknown;
  /**
   * The record's content hash when the caller computes it (connectors hash the raw record with the
   * definition's mapping, so an unchanged record is recognised before it is validated or normalised).
   */
  contentHash?: string;
  /** Values the mapping kept as given because it could not resolve them. */
  flags?: MappingFlag[];
  /** Where in the source the record came from (row, page entry), kept with a reject. */
  location?: string;
  /**
   * `input.raw` as JSON when the caller has it already (a connector hashes it): stored as is. Text is
   * `JSON.stringify(input.raw)`; bytes are the record as its source sent it (valid UTF-8, `input.raw` parsed
   * from them), whitespace and escapes as they came.
   */
  rawJson?: string | Buffer;
  /**
   * The record as its source wrote it, when that is text with a layout that reads it into `input.raw` (a
   * CSV row): stored as that text and layout (`raw_text`, `raw_layout`) instead of `raw` as JSON.
   */
  rawText?: RecordText;
  /**
   * What a reject of the item keeps as its payload when the store refuses it: the record as its source sent it (a
   * connector's row or entry, as the mapping's own rejects keep it), not what the mapping made of it. Default `input`.
   */
  rejectPayload?: unknown;
}

/** A record in quarantine: what arrived, where from, and why it was refused. */
export interface QuarantinedRecord {
  sourceSystem: string;
  externalId: string | null;
  location: string | null;
  payload: unknown;
  problems: RecordProblem[];
}

export interface IngestResult {
  inserted: number;
  updated: number;
  /** Unchanged records, and rejects the same run had quarantined already (a repeated page). */
  unchanged: number;
  /** Records quarantined, each once per run (see {@link IngestService.quarantine}). */
  rejected: number;
  /**
   * New children the batch's records were linked to (records no existing child matched). Their rows are built
   * by the golden-record stage from the records linked to them.
   */
  childrenCreated: number;
  /** Children whose golden record must be built or recomputed (enqueued through the outbox). */
  childrenToRecompute: string[];
  rejects: Array<{ index: number; externalId: string | null; problems: RecordProblem[] }>;
  /**
   * The source record id of every item inserted or updated (not unchanged ones), by item index; `inserted`
   * when the row is new (it can have no projections yet).
   */
  stored: Array<{ index: number; sourceRecordId: string; inserted: boolean }>;
  /** Where the copies were that repeated a record id of the batch with other content (see {@link PreparedIngest}). */
  repeatedWithOtherContent: string[];
  /** With {@link IngestOptions.keepNewerStored}: where the copies were that were older than the one kept (not stored). */
  olderCopies: string[];
}

/** What is stored under a record's key, as {@link IngestService.lookup} found it. */
export interface StoredRow {
  id: string;
  contentHash: string;
  childId: string | null;
}

/** Stored rows by `source system \0 external id` ({@link IngestService.lookup}). */
export type StoredRows = Map<string, StoredRow>;

/**
 * One valid record, ready to write: what the transaction needs and nothing more. The record itself is kept
 * only as its COPY fields (UTF-8 bytes, outside the JavaScript heap): a batch waiting for its transaction
 * holds a few hundred bytes of objects per record, not the parsed, mapped and normalised objects it came
 * from, which is what kept the garbage collector busy for a fifth of an ingest.
 */
export interface PreparedRecord {
  /** The item's index in its batch. */
  index: number;
  /** `source system \0 external id`, as stored. */
  key: string;
  identityNumber: string | null;
  /** The row stored under the key when the batch was prepared: null for none (a new record), undefined when not looked up. */
  stored: StoredRow | null | undefined;
  /** The record's id: the stored row's, or a new one. */
  id: string;
  /** The record's COPY fields ({@link COLUMNS}, without the link columns). */
  fields: Buffer;
  /** The id of the new child the record starts if it links to no existing one. */
  newChildId: string;
  /** The layout its stored text names, written with the batch when new. */
  layout: RecordLayout | undefined;
  /** Where in the source it came from (`khai-sinh.csv row 30`), to report a repeat of its id. */
  location: string | undefined;
  /**
   * The batch's first copy of the key, when the batch held it more than once (this record is the last): its
   * content hash and where it was. The run's earlier copy, if any, is compared with it, not with this one:
   * this one was compared with the first within the batch.
   */
  firstCopy: { hash: string; where: string } | undefined;
}

/**
 * A batch validated and normalised, nothing written yet: {@link IngestService.prepare} builds it, in parts
 * if the caller likes (outside any transaction, so a connector can prepare its next batch while the current
 * one is being stored), and {@link IngestService.store} writes it.
 */
export interface PreparedIngest {
  /** Items skipped because their content hash equals the stored one. */
  unchanged: number;
  /** Items that passed validation (repeats of a key included). */
  valid: number;
  rejects: IngestResult['rejects'];
  /** The rejects as they are quarantined (source, location, payload, reasons). */
  quarantined: QuarantinedRecord[];
  /** One record per key: a source may repeat a record within one batch, and the last copy wins. */
  records: Map<string, PreparedRecord>;
  /**
   * Where each copy was that repeated a key of the batch with other content (`khai-sinh.csv row 30`): it
   * replaced the earlier copy (the last copy is the one compared with what is stored), which a sync reports.
   */
  repeatedWithOtherContent: string[];
  /** Where each copy was that was older than a copy read earlier in the batch (with {@link IngestOptions.keepNewerStored}): not kept. */
  olderCopies: string[];
}

const COLUMNS = [
  ['id', 'text'], ['source_system', 'text'], ['external_id', 'text'], ['raw', 'json'], ['full_name', 'text'],
  ['family_name', 'text'], ['middle_name', 'text'], ['given_name', 'text'], ['name_folded', 'text'], ['sex', 'text'],
  ['birth_date', 'date'], ['birth_date_precision', 'text'], ['birth_date_estimated', 'boolean'], ['commune_code', 'text'],
  ['commune_code_set', 'text'], ['father_name', 'text'], ['mother_name', 'text'], ['carer_name', 'text'],
  ['identity_number', 'text'], ['groups', 'jsonb'], ['content_hash', 'text'], ['source_updated_at', 'timestamptz'],
  ['connector_run_id', 'text'], ['flags', 'jsonb'], ['raw_text', 'text'], ['raw_layout', 'text'],
] as const;
const LINK_COLUMNS = [['child_id', 'text'], ['link_rule', 'text']] as const;

/**
 * The flag of a record not linked to the child holding its identity number because it clearly is another child: its
 * sex differs from the record's that carries the number, and its birth date (neither estimated) or given name too, or,
 * of one sex, its birth year and given name ({@link contradicts}). A mistyped
 * number merged two pupils into one child (QA); a steward decides.
 */
export const NUMBER_HELD_BY_ANOTHER_CHILD = 'IDENTITY_NUMBER_HELD_BY_ANOTHER_CHILD';

/**
 * A record's flags as a write replaces them: the mapping's, and the hub's own that still hold. The number guard's
 * ({@link NUMBER_HELD_BY_ANOTHER_CHILD}) holds while the record carries the same number: it was kept apart for it (QA:
 * any later change of the record wiped the flag, and left two children with one number unmarked).
 */
const FLAGS_KEPT = `EXCLUDED.flags || CASE WHEN EXCLUDED.identity_number IS NOT DISTINCT FROM source_record.identity_number
    THEN coalesce((SELECT jsonb_agg(f) FROM jsonb_array_elements(source_record.flags) AS f WHERE f->>'code' = '${NUMBER_HELD_BY_ANOTHER_CHILD}'), '[]'::jsonb)
    ELSE '[]'::jsonb END`;

/**
 * Inserts or updates by (source system, external id), skipping rows whose content hash is unchanged. A row
 * may carry the child it was linked to before the write: a new row takes it; an existing row takes it only
 * if it is not linked yet (a link someone else made first is kept).
 */
const UPSERT_SQL = `
INSERT INTO source_record (${[...COLUMNS, ...LINK_COLUMNS].map(([c]) => c).join(', ')}, linked_at, linked_by)
SELECT u.*, CASE WHEN u.child_id IS NOT NULL THEN now() END, CASE WHEN u.child_id IS NOT NULL THEN 'ingest' END
  FROM unnest(${[...COLUMNS, ...LINK_COLUMNS].map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')}) AS u(${[...COLUMNS, ...LINK_COLUMNS].map(([c]) => c).join(', ')})
ON CONFLICT (source_system, external_id) DO UPDATE SET
  ${COLUMNS.filter(([c]) => !['id', 'source_system', 'external_id'].includes(c)).map(([c]) => `${c} = ${c === 'flags' ? FLAGS_KEPT : `EXCLUDED.${c}`}`).join(',\n  ')},
  last_seen_at = now(),
  absent_since = NULL, absent_run_id = NULL,
  child_id = coalesce(source_record.child_id, EXCLUDED.child_id),
  ${['link_rule', 'linked_at', 'linked_by'].map((c) => `${c} = CASE WHEN source_record.child_id IS NULL THEN EXCLUDED.${c} ELSE source_record.${c} END`).join(',\n  ')}
WHERE source_record.content_hash IS DISTINCT FROM EXCLUDED.content_hash`;
const UPSERT_RETURNING = `
RETURNING id, source_system, external_id, child_id, (xmax = 0) AS inserted`;
/** {@link IngestOptions.keepNewerStored}: a copy older than the stored one leaves it as it is. */
const OLDER_KEEPS_STORED = `
  AND (source_record.source_updated_at IS NULL OR EXCLUDED.source_updated_at IS NULL OR EXCLUDED.source_updated_at >= source_record.source_updated_at)`;
const UPSERT_ANY_SQL = UPSERT_SQL + UPSERT_RETURNING;
const UPSERT_NEWER_SQL = UPSERT_SQL + OLDER_KEEPS_STORED + UPSERT_RETURNING;

/**
 * {@link IngestOptions.keepNewerStored}: of $2 external ids with $3 content hashes and $4 times, those whose stored copy
 * differs and is newer (the upsert left them as they were).
 */
const OLDER_THAN_STORED_SQL = `
SELECT u.external_id FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS u(external_id, content_hash, source_updated_at)
  JOIN source_record s ON s.source_system = $1 AND s.external_id = u.external_id
 WHERE s.content_hash IS DISTINCT FROM u.content_hash AND s.source_updated_at > u.source_updated_at`;

/**
 * {@link IngestService.lookupChanged}: $1 source system, $2 external ids and $3 their content hashes (JSON
 * arrays). One index probe per key, as a LATERAL subquery the planner cannot flatten (LIMIT 1; the key is
 * unique anyway): as a plain join, a source the statistics called rare (a new connector beside a
 * million-record one) was estimated at one row and read whole into a hash table for every 500 keys.
 */
export const LOOKUP_CHANGED_SQL = `
SELECT k.i::int AS i, s.id, s.content_hash, s.child_id
  FROM jsonb_array_elements_text($2::jsonb) WITH ORDINALITY AS k(external_id, i)
  LEFT JOIN LATERAL (SELECT r.id, r.content_hash, r.child_id FROM source_record r
                      WHERE r.source_system = $1 AND r.external_id = k.external_id LIMIT 1) s ON true
 WHERE s.content_hash IS DISTINCT FROM ($3::jsonb) ->> (k.i::int - 1)`;

/**
 * {@link IngestService.childrenByNumber}: $1 the numbers (a JSON array), $2 (when excluding) record ids left
 * out. The numbers linked records carry are read first, an index probe of `source_record_identity_idx` each.
 * Only the numbers none carries are then looked for among the numbers children keep with no source giving
 * them (issued, or verified and dropped since: no `provenance` for the number), in `child_kept_number_idx`
 * (Migration20261209030000): a small index whatever the number of children, which the sorted numbers walk
 * in a page or two. Measured on a million children and source records, for a batch of 1,500 new numbers
 * (the 1M-row CSV bench: none held by anyone): the source_record look-up 7–9 ms, this one 0.3–0.7 ms more
 * (0 to 2,000 kept numbers); a probe of the million-row `identity_number` history instead would have added
 * as much as the source_record look-up. Of several children keeping one number (a CONFLICT for a steward),
 * the first by id; a merged child is followed to the child it was merged into, which must be active.
 *
 * With each child, the sex, birth date and name of the record that gives it the number (or the child's own). For the
 * numbers a linked record carries, every child such records belong to is a candidate ({@link ALL_CHILDREN_BY_NUMBER_SQL}):
 * a record kept apart from the child holding its number (a mistyped number, {@link contradicts}) carries it too, and the
 * next record is compared with each (QA: compared with the first only, the holder's own next record was split off, and
 * the kept-apart child's next one too). That second statement runs only for numbers found, so a batch of new numbers
 * costs what it did (one statement for both: PostgreSQL spent 58–70 µs a record in the CSV bench on the slower host,
 * with two 52 µs; the code before the guard 40–45).
 */
const childrenByNumberSql = (excluding: boolean) => `
WITH linked AS (
  SELECT DISTINCT ON (s.identity_number) s.identity_number, coalesce(c.merged_into_id, s.child_id) AS child_id,
         s.sex, s.birth_date::text AS birth_date, s.birth_date_precision, s.birth_date_estimated, s.name_folded, true AS linked
    FROM source_record s LEFT JOIN child c ON c.id = s.child_id
   WHERE s.identity_number = ANY(ARRAY(SELECT jsonb_array_elements_text($1::jsonb))) AND s.child_id IS NOT NULL
     ${excluding ? 'AND s.id <> ALL($2::text[])' : ''}
   ORDER BY s.identity_number, s.linked_at
), kept AS (
  SELECT DISTINCT ON (k.identity_number) k.identity_number, t.id AS child_id,
         t.sex, t.birth_date::text AS birth_date, t.birth_date_precision, t.birth_date_estimated, t.name_folded, false AS linked
    FROM child k JOIN child t ON t.id = coalesce(k.merged_into_id, k.id)
   WHERE k.identity_number = ANY(ARRAY(SELECT w FROM jsonb_array_elements_text($1::jsonb) AS w
                                        WHERE NOT EXISTS (SELECT 1 FROM linked l WHERE l.identity_number = w)))
     AND k.identity_number IS NOT NULL AND NOT (k.provenance ? 'identityNumber') AND t.status = 'ACTIVE'
   ORDER BY k.identity_number, k.id
)
SELECT * FROM linked UNION ALL SELECT * FROM kept`;
const CHILDREN_BY_NUMBER_SQL = childrenByNumberSql(false);
const CHILDREN_BY_NUMBER_EXCLUDING_SQL = childrenByNumberSql(true);

/**
 * {@link IngestService.childrenByNumber}, for the numbers some linked record carries (few: most numbers a batch brings
 * are new): every child such records belong to, each with its earliest such record, earliest linked first.
 */
const ALL_CHILDREN_BY_NUMBER_SQL = `
SELECT * FROM (
  SELECT DISTINCT ON (s.identity_number, coalesce(c.merged_into_id, s.child_id)) s.identity_number, coalesce(c.merged_into_id, s.child_id) AS child_id,
         s.sex, s.birth_date::text AS birth_date, s.birth_date_precision, s.birth_date_estimated, s.name_folded, s.linked_at
    FROM source_record s LEFT JOIN child c ON c.id = s.child_id
   WHERE s.identity_number = ANY($1::text[]) AND s.child_id IS NOT NULL AND s.id <> ALL($2::text[])
   ORDER BY s.identity_number, coalesce(c.merged_into_id, s.child_id), s.linked_at, s.id
) x ORDER BY identity_number, linked_at, child_id`;

/** The mapping's flags of an identity number that may have lost its leading zeros on its way (a spreadsheet's number). */
const ZEROS_LOST_FLAGS: ReadonlySet<string> = new Set([IDENTITY_NUMBER_ZEROS_LOST, IDENTITY_NUMBER_FROM_NUMBER]);

/**
 * A record whose number lost its leading zeros (flagged so by the mapping) keeps the number stored for it before when
 * that is this number with its zeros (QA: an export re-saved by Excel replaced 40 children's 12-digit numbers with
 * their 10-digit remains, which superseded the verified ones). The flag stays, saying so: the source's export is
 * still damaged. Any other number, or none stored, is kept as read.
 */
function keepNumberWithZeros(record: NormalizedSourceRecord, stored: string | undefined): void {
  const read = record.identityNumber;
  if (!stored || !read || read === stored || read.length >= stored.length || stored.length !== 12 || stored.replace(/^0+/, '') !== read.replace(/^0+/, '')) return;
  record.identityNumber = stored;
  record.flags = (record.flags ?? []).map((f) =>
    f.field === 'identityNumber' && ZEROS_LOST_FLAGS.has(f.code)
      ? { ...f, message: `${f.message.replace(/; kept as read \([^)]*\)$/, '')}; it is the number stored for this record before, less its leading zeros: the stored number is kept (have the export write the column as text)` }
      : f,
  );
}

const NUMBER_HELD_MESSAGE = 'the number is carried by another child\'s record whose sex differs from this one\'s, and its birth date or given name too '
  + '(or, of one sex, its birth year and given name): '
  + 'not linked to that child (a mistyped number?); this record is a child of its own until a data steward decides';

/** A child's or record's sex, birth date and name, as the number guard compares them ({@link contradicts}). */
interface Demographics {
  sex: string | null;
  birthDate: string | null;
  precision: string | null;
  estimated: boolean;
  /** The name folded (lower case, no accents), as matching compares names. */
  nameFolded: string | null;
}

/** The child holding an identity number, with the sex, birth date and name of the record that carries it (or its own). */
interface NumberHolder extends Demographics {
  childId: string;
}

const SEX_FIELD = COLUMNS.findIndex(([c]) => c === 'sex');
const BIRTH_DATE_FIELD = COLUMNS.findIndex(([c]) => c === 'birth_date');
const BIRTH_PRECISION_FIELD = COLUMNS.findIndex(([c]) => c === 'birth_date_precision');
const BIRTH_ESTIMATED_FIELD = COLUMNS.findIndex(([c]) => c === 'birth_date_estimated');
const NAME_FOLDED_FIELD = COLUMNS.findIndex(([c]) => c === 'name_folded');

/** A prepared record's sex, birth date and name, read back from its COPY fields (only for a record whose number another child holds). */
function demographicsOf(r: PreparedRecord): Demographics {
  const f = decodeCopyFields(r.fields);
  return {
    sex: f[SEX_FIELD] ?? null, birthDate: f[BIRTH_DATE_FIELD] ?? null, precision: f[BIRTH_PRECISION_FIELD] ?? null, estimated: f[BIRTH_ESTIMATED_FIELD] === 't',
    nameFolded: f[NAME_FOLDED_FIELD] ?? null,
  };
}

/**
 * Whether a record clearly is another child than the one holding its number:
 * - both sexes known and different, and either both birth dates known, neither estimated, and different to the coarser
 *   of their precisions, or both given names known and different (twins: one birth date);
 * - or, whatever the sexes, born in other years (neither date estimated) with other given names, neither found among
 *   the other's words (QA: two boys, `Nguyễn Văn An` of 2013 and `Trần Minh Khoa` of 2016, one given the other's
 *   number, were merged).
 * Less is the same child written differently: a sex, a day or month, a letter of a name mistyped, a nickname, the
 * given name written first. A date estimated never counts (an abandoned child's is where it was found).
 */
function contradicts(r: Demographics, h: Demographics): boolean {
  const givenR = givenOf(r.nameFolded);
  const givenH = givenOf(h.nameFolded);
  const namesDiffer = !!givenR && !!givenH && givenR !== givenH;
  if (r.sex && h.sex && r.sex !== h.sex) return namesDiffer || sameBirth(r, h) === false;
  return namesDiffer && otherYear(r, h) && !wordsOf(h.nameFolded).includes(givenR!) && !wordsOf(r.nameFolded).includes(givenH!);
}

/** Whether two birth dates, both known and neither estimated, are of different years. */
function otherYear(r: Demographics, h: Demographics): boolean {
  return !!r.birthDate && !!h.birthDate && !r.estimated && !h.estimated && r.birthDate.slice(0, 4) !== h.birthDate.slice(0, 4);
}
/**
 * Of the children carrying a number, the one a record joins: of those it is not clearly another child than, the one it
 * agrees with most (a given name or a birth date agreeing counts twice a sex: a record whose sex alone was mistyped
 * joins the child of its name and date, not one of its sex), the earliest on a tie; undefined when none.
 */
function bestHolder(r: Demographics, candidates: readonly NumberHolder[]): NumberHolder | undefined {
  let best: NumberHolder | undefined;
  let bestScore = -1;
  for (const h of candidates) {
    if (contradicts(r, h)) continue;
    const score = agreement(r, h);
    if (score > bestScore) {
      best = h;
      bestScore = score;
    }
  }
  return best;
}

function agreement(r: Demographics, h: Demographics): number {
  let score = r.sex && r.sex === h.sex ? 1 : 0;
  const given = givenOf(r.nameFolded);
  if (given && given === givenOf(h.nameFolded)) score += 2;
  if (sameBirth(r, h) === true) score += 2;
  return score;
}

/** Whether two birth dates agree to the coarser of their precisions; null when either is missing or estimated. */
function sameBirth(r: Demographics, h: Demographics): boolean | null {
  if (!r.birthDate || !h.birthDate || r.estimated || h.estimated) return null;
  const length = Math.min(PRECISION_LENGTH[r.precision ?? 'DAY'] ?? 10, PRECISION_LENGTH[h.precision ?? 'DAY'] ?? 10);
  return r.birthDate.slice(0, length) === h.birthDate.slice(0, length);
}

/** A folded name's given name: its last word (Vietnamese order: family, middle, given). */
function givenOf(folded: string | null): string | null {
  return wordsOf(folded).at(-1) || null;
}
function wordsOf(folded: string | null): string[] {
  return folded?.trim().split(/\s+/) ?? [];
}
const PRECISION_LENGTH: Record<string, number> = { YEAR: 4, MONTH: 7, DAY: 10 };

/** The flag of a record whose id came earlier in its batch with other content (the earlier copy was not stored). */
export const REPEATED_ID = 'REPEATED_ID';

/** Where `content_hash` is among a prepared record's COPY fields. */
const CONTENT_HASH_FIELD = COLUMNS.findIndex(([c]) => c === 'content_hash');
/** Where `source_updated_at` is among a prepared record's COPY fields. */
const SOURCE_UPDATED_AT_FIELD = COLUMNS.findIndex(([c]) => c === 'source_updated_at');

/** Columns of a new source record written by COPY, linked to its child in the same row. */
const COPY_COLUMNS = [...COLUMNS.map(([c]) => c), 'child_id', 'link_rule', 'linked_at', 'linked_by'];

type LinkRule = 'IDENTITY_NUMBER' | 'NEW_CHILD';

interface PlannedLink {
  childId: string;
  rule: LinkRule;
  /** A new child: its row is built by the golden-record stage. */
  created: boolean;
  /**
   * The child holding the record's number, when the record was not linked to it because it clearly is another child
   * ({@link contradicts}): the record is flagged {@link NUMBER_HELD_BY_ANOTHER_CHILD}.
   */
  numberHeldBy?: string;
}

/** How {@link IngestService.prepare} takes one part of a batch. */
export interface PreparePart {
  /** What is stored under the items' keys, when the caller looked it up already (a key absent: nothing stored). */
  stored?: StoredRows;
  /** Keys whose stored row is not known (not looked up): their records are written by key, never by COPY. */
  notLookedUp?: ReadonlySet<string>;
  /** The batch prepared so far, to add this part to. */
  into?: PreparedIngest;
  /** The index of this part's first item in the batch. @defaultValue 0 */
  indexBase?: number;
}

/** A PostgreSQL connection or pool to read with (prepare runs outside the batch's transaction). */
export interface Queryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/**
 * Stores source records: validates each, upserts the valid ones by (source system, external id) skipping
 * unchanged content, links new records to a child (same identity number as an already linked record, or
 * as a child keeps with no source giving it, until the matcher exists; otherwise a new child id), and enqueues the golden-record stage for every
 * child touched through the outbox — all in one transaction, so a batch lands whole or not at all. Invalid
 * records are kept in `rejected_record` with their reasons; the valid records around them still land.
 *
 * Ingest lands records and decides links; it writes no `child` row. A child is derived data, built (and
 * rebuilt) by the golden-record stage from the records linked to it, so a new child appears once that stage
 * has run: ingest stays one write per record, and survivorship runs once per child, not once per record.
 *
 * The work is split in two so that a connector can overlap them: {@link prepare} reads what is stored under
 * the batch's keys, validates, normalises and encodes each record (no write, no transaction); {@link store}
 * writes, in the caller's transaction. Records known to be new are linked before they are written and
 * written once, by COPY.
 */
export class IngestService {
  constructor(private readonly sql: Sql) {}

  async ingest(inputs: unknown[], opts: IngestOptions = {}): Promise<IngestResult> {
    return this.sql.tx((client) => this.ingestItems(client, inputs.map((input) => ({ input })), opts));
  }

  /**
   * Ingests items inside the caller's transaction (a connector stores a page and its checkpoint together).
   * Items carrying a content hash are first compared with what is stored, and unchanged ones are counted
   * and dropped before any validation or normalisation, so re-reading unchanged data costs one indexed
   * lookup per batch.
   */
  async ingestItems(client: PoolClient, items: IngestItem[], opts: IngestOptions = {}): Promise<IngestResult> {
    return this.store(client, await this.prepare(client, items, opts), opts);
  }

  /** An empty prepared batch, for {@link prepare} to fill in parts. */
  newBatch(): PreparedIngest {
    return { unchanged: 0, valid: 0, rejects: [], quarantined: [], records: new Map(), repeatedWithOtherContent: [], olderCopies: [] };
  }

  /**
   * Drops items whose content hash equals the stored one, validates, normalises and encodes the rest. Writes
   * nothing; `db` may be a pool (no transaction is needed: under READ COMMITTED a lookup inside the writing
   * transaction would see no more than this one, and {@link store} re-checks every key as it writes).
   *
   * A key repeated anywhere in the batch keeps its last record. See {@link PreparePart} for preparing a batch
   * in parts with stored rows the caller looked up.
   */
  async prepare(db: Queryable, items: IngestItem[], opts: IngestOptions = {}, part: PreparePart = {}): Promise<PreparedIngest> {
    const stored = part.stored ?? (await this.lookup(db, items));
    const out = part.into ?? this.newBatch();
    const indexBase = part.indexBase ?? 0;
    const keptNumbers = await this.numbersStoredWithZeros(db, items);
    for (let i = 0; i < items.length; i++) {
      const y = yieldIfBusy();
      if (y) await y;
      const item = items[i]!;
      const index = indexBase + i;
      const key = keyOf(item.input);
      const row = key === null ? undefined : stored.get(key);
      if (row && item.contentHash && row.contentHash === item.contentHash) {
        out.unchanged++;
        continue;
      }
      const v = validateSourceRecord(item.input);
      if (!v.ok) {
        const externalId = typeof (item.input as { externalId?: unknown })?.externalId === 'string' ? (item.input as { externalId: string }).externalId : null;
        out.rejects.push({ index, externalId, problems: v.problems });
        out.quarantined.push({
          sourceSystem: String((item.input as { sourceSystem?: unknown })?.sourceSystem ?? 'unknown'),
          externalId,
          location: rejectLocation(opts.location, item.location ?? `record ${index + 1}`),
          payload: item.rejectPayload ?? item.input ?? null,
          problems: v.problems,
        });
        continue;
      }
      const record = normalizedOrTooDeep(v.value, item.contentHash);
      let rawRefused: RecordProblem | null = record === null ? TOO_DEEP : null;
      if (record !== null) {
        if (item.flags?.length) record.flags = item.flags;
        // The caller's JSON is of the payload it passed; validation keeps that object unless it had to copy it.
        if (v.value.raw === (item.input as { raw?: unknown }).raw) {
          if (item.rawText !== undefined && storableText(item.rawText)) record.rawText = item.rawText;
          else if (item.rawJson !== undefined) record.rawJson = item.rawJson;
        }
        if (record.rawText === undefined) rawRefused = storableRaw(record);
      }
      if (record === null || rawRefused !== null) {
        const problems = [rawRefused!];
        out.rejects.push({ index, externalId: v.value.externalId, problems });
        out.quarantined.push({
          sourceSystem: v.value.sourceSystem, externalId: v.value.externalId,
          location: rejectLocation(opts.location, item.location ?? `record ${index + 1}`), payload: item.rejectPayload ?? item.input ?? null, problems,
        });
        continue;
      }
      out.valid++;
      const recordKey = `${record.sourceSystem}\u0000${record.externalId}`;
      if (keptNumbers) keepNumberWithZeros(record, keptNumbers.get(recordKey));
      // Validation trims the external id: a key that changed was not the one looked up.
      const found = recordKey === key && !part.notLookedUp?.has(recordKey) ? (row ?? null) : undefined;
      const id = found?.id ?? newId('sourceRecord');
      const earlier = out.records.get(recordKey);
      if (earlier !== undefined && opts.keepNewerStored && olderThan(record.sourceUpdatedAt, decodeCopyFields(earlier.fields)[SOURCE_UPDATED_AT_FIELD])) {
        // A copy older than one read before it in the batch: the newer one stays (see IngestOptions.keepNewerStored).
        out.unchanged++;
        out.valid--;
        out.olderCopies.push(item.location ?? `record ${index + 1}`);
        continue;
      }
      let firstCopy: PreparedRecord['firstCopy'];
      if (earlier !== undefined) {
        out.records.delete(recordKey); // a repeat moves to the end, as the last copy
        const earlierHash = decodeCopyFields(earlier.fields)[CONTENT_HASH_FIELD]!;
        firstCopy = earlier.firstCopy ?? { hash: earlierHash, where: earlier.location ?? `record ${earlier.index + 1}` };
        // The same record again (a page served twice) is nothing to report; other content under the same id
        // (a register listing a number twice) replaces the earlier copy as a later line corrects an earlier
        // one, and is reported where it was: the earlier copy is not dropped silently.
        if (earlierHash !== record.contentHash) {
          const where = item.location ?? `record ${index + 1}`;
          out.repeatedWithOtherContent.push(where);
          // Kept with the record, for whoever reads it: a steward sees it was not the only copy.
          record.flags = [...(record.flags ?? []), {
            field: 'externalId', code: REPEATED_ID,
            message: `the id came earlier in the same batch with other content; that copy was not stored, this one (${where}) was`,
          }];
        }
      }
      out.records.set(recordKey, {
        index, key: recordKey, identityNumber: record.identityNumber, stored: found, id,
        fields: encodeRecord(record, id, opts), newChildId: newId('child'), layout: record.rawText?.layout, location: item.location, firstCopy,
      });
    }
    return out;
  }

  /**
   * Writes a prepared batch in the caller's transaction: quarantine, records with their links, outbox. A
   * record's link is decided here (same identity number as an already linked record, or as a child keeps
   * with no source giving it: that child; otherwise a new child id); the child rows are built afterwards by the golden-record stage, from the outbox rows
   * written here.
   */
  async store(client: PoolClient, prepared: PreparedIngest, opts: IngestOptions = {}): Promise<IngestResult> {
    const quarantined = await this.quarantine(client, prepared.quarantined, opts);
    const result: IngestResult = {
      inserted: 0, updated: 0, unchanged: prepared.unchanged + prepared.quarantined.length - quarantined, rejected: quarantined,
      childrenCreated: 0, childrenToRecompute: [], rejects: prepared.rejects, stored: [], repeatedWithOtherContent: [], olderCopies: [...prepared.olderCopies],
    };
    const records = [...prepared.records.values()];
    if (records.length === 0) return result;

    // Linked records keep their child. The others are linked before they are written, except when a linked
    // record of this batch carries the same number: its new number becomes visible only once it is
    // written, so they are linked afterwards.
    const rewrittenNumbers = new Set<string>();
    for (const r of records) if (r.stored?.childId && r.identityNumber) rewrittenNumbers.add(r.identityNumber);
    const planned: PreparedRecord[] = [];
    for (const r of records) {
      if (r.stored === undefined || r.stored?.childId) continue;
      if (r.identityNumber && rewrittenNumbers.has(r.identityNumber)) continue;
      planned.push(r);
    }
    // Every number this batch may link by (a linked record's too: its number may be new, see relinkRenumbered),
    // locked once, in order: two batches never make two children of one number.
    const numbers = [...new Set(records.filter((r) => r.identityNumber).map((r) => r.identityNumber!))].sort();
    if (numbers.length) await lockNumbers(client, numbers);

    const links = planned.length ? await this.planLinks(client, planned) : new Map<PreparedRecord, PlannedLink>();
    const fresh = planned.filter((r) => r.stored === null);
    // The layouts records stored as text name, written before them (a statement only when no COPY takes it along).
    const layouts = layoutsSql(records);
    if (layouts && !fresh.length) await client.query(layouts);
    let copied: PreparedRecord[] = [];
    if (fresh.length) {
      // New records are written by COPY, which cannot skip a key someone else inserted meanwhile: then the
      // COPY is undone and they take the upsert path with the same links. The layouts, the savepoint and
      // the transaction's time (linked_at) in one round trip.
      const linkedAt = copyText(await savepointNow(client, layouts));
      try {
        await copyRows(client, 'source_record', COPY_COLUMNS, fresh.map((r) => {
          const link = links.get(r)!;
          return [r.fields, `\t${link.childId}\t${link.rule}\t${linkedAt}\tingest`];
        }));
        // The savepoint is left to the commit, which releases it: a round trip less per batch.
        copied = fresh;
      } catch (err) {
        if ((err as { code?: unknown }).code !== '23505') throw err;
        await client.query('ROLLBACK TO SAVEPOINT ingest_write_once');
      }
    }

    const recompute = new Set<string>();
    const created = new Set<string>();
    const use = (childId: string, link: PlannedLink | undefined) => {
      recompute.add(childId);
      if (link?.created && link.childId === childId) created.add(childId);
    };
    for (const r of copied) {
      const link = links.get(r)!;
      result.inserted++;
      result.stored.push({ index: r.index, sourceRecordId: r.id, inserted: true });
      use(link.childId, link);
    }
    const copiedSet = new Set(copied);
    const rest = records.filter((r) => !copiedSet.has(r));
    const toLink: PreparedRecord[] = [];
    const renumbered: Renumbered[] = [];
    const reexamined: Renumbered[] = [];
    // Numbers records of the batch no longer carry: a record kept apart for carrying one may be alone with it now.
    const numbersLeft = new Set<string>();
    let written = copied.length;
    let repeatsInRun: string[] = [];
    const repeats: Array<{ id: string; where: string; message: string }> = [];
    // Rows COPY could not take (or that exist) go as statement parameters, decoded from the same encoding, in
    // statements of a bounded size: each one's parameters are held several times over while it is sent (decoded,
    // as array literals, in the bind message), which for a page of 10,000 changed records was past the heap.
    for (const chunk of upsertChunks(rest)) {
      const columns: Array<Array<string | null>> = [...COLUMNS, ...LINK_COLUMNS].map(() => []);
      for (const r of chunk) {
        const fields = decodeCopyFields(r.fields);
        for (let c = 0; c < COLUMNS.length; c++) columns[c]!.push(fields[c] ?? null);
        columns[COLUMNS.length]!.push(links.get(r)?.childId ?? null);
        columns[COLUMNS.length + 1]!.push(links.get(r)?.rule ?? null);
      }
      const byKey = new Map(chunk.map((r) => [r.key, r]));
      // The numbers linked records carry before this write, to tell which ones this write changes.
      const previous = await previousNumbers(client, chunk);
      // Keys this run stored already, from an earlier batch, or read as stored earlier (unchanged, so not
      // written): an update of one is the same id again.
      const storedByRun = opts.flagRepeatsInRun && opts.connectorRunId ? await keysStoredByRun(client, chunk, opts.connectorRunId, opts.readEarlierInRun, opts.repeatsSince) : null;
      const upserted = await client.query<{ id: string; source_system: string; external_id: string; child_id: string | null; inserted: boolean }>(
        opts.keepNewerStored ? UPSERT_NEWER_SQL : UPSERT_ANY_SQL, columns);
      written += upserted.rows.length;
      if (opts.keepNewerStored && upserted.rows.length < chunk.length) result.olderCopies.push(...await olderThanStored(client, chunk, upserted.rows));
      for (const row of upserted.rows) {
        if (row.inserted) result.inserted++;
        else result.updated++;
        const key = `${row.source_system}\u0000${row.external_id}`;
        const entry = byKey.get(key);
        const runCopy = row.inserted ? undefined : storedByRun?.get(key);
        if (runCopy !== undefined) {
          // The run's earlier copy against the batch's first copy of the key (the later ones were compared
          // within the batch): a copy as the run had it, then one with other content, is one repeat, not two.
          const first = entry?.firstCopy;
          if (first === undefined) {
            const where = entry?.location ?? `record ${(entry?.index ?? 0) + 1}`;
            repeats.push({ id: row.id, where, message: `the id came earlier in this sync with other content; that copy was replaced by this one (${where})` });
          } else if (first.hash !== runCopy) {
            repeats.push({ id: row.id, where: first.where, message: `the id came earlier in this sync with other content; that copy was replaced by a later one (${first.where}), itself replaced in the same batch` });
          }
        }
        if (entry) result.stored.push({ index: entry.index, sourceRecordId: row.id, inserted: row.inserted });
        // A record someone linked meanwhile keeps that link; the child planned for it is not used.
        if (row.child_id) {
          use(row.child_id, entry && links.get(entry));
          const before = previous.get(row.id);
          if (before?.number && before.number !== (entry?.identityNumber ?? null)) numbersLeft.add(before.number);
          if (entry?.identityNumber && before && before.number !== entry.identityNumber && AUTOMATIC_LINKS.has(before.linkRule ?? '')) {
            renumbered.push({ id: row.id, childId: row.child_id, number: entry.identityNumber, demographics: demographicsOf(entry) });
          } else if (entry?.identityNumber && before?.number === entry.identityNumber && AUTOMATIC_LINKS.has(before.linkRule ?? '')) {
            // Linked by ingest, and now another sex, birth date or name: judged again (see separateContradicted).
            const now = demographicsOf(entry);
            if (now.sex !== before.sex || now.birthDate !== before.birthDate || now.nameFolded !== before.nameFolded) {
              reexamined.push({ id: row.id, childId: row.child_id, number: entry.identityNumber, demographics: now, held: before.held });
            }
          }
        } else if (entry) toLink.push({ ...entry, id: row.id });
      }
    }
    // Records not linked to the child holding their number, being clearly another child: flagged, with their row.
    await flagNumbersHeld(client, [...links].filter(([, l]) => l.numberHeldBy !== undefined).map(([r, l]) => ({ id: r.id, heldBy: l.numberHeldBy! })));
    if (repeats.length) {
      // Kept with the record, for whoever reads it, as a repeat within one batch is.
      await client.query(
        `UPDATE source_record s SET flags = s.flags || jsonb_build_array(jsonb_build_object('field', 'externalId', 'code', $3::text, 'message', u.message))
           FROM unnest($1::text[], $2::text[]) AS u(id, message) WHERE s.id = u.id`,
        [repeats.map((r) => r.id), repeats.map((r) => r.message), REPEATED_ID],
      );
      repeatsInRun = repeats.map((r) => r.where);
    }
    // Repeated copies within the batch (the last is the one compared with what is stored and written) and
    // rows whose stored hash already matched. Copies with other content are reported (where they were).
    result.unchanged += prepared.valid - written;
    result.repeatedWithOtherContent = [...prepared.repeatedWithOtherContent, ...repeatsInRun];
    // Before new records are linked by number: they then find the child a renumbered record joined.
    if (renumbered.length) for (const id of await this.relinkRenumbered(client, renumbered, recompute)) created.add(id);
    if (reexamined.length) for (const id of await this.separateContradicted(client, reexamined, recompute)) created.add(id);
    if (toLink.length) for (const id of await this.link(client, toLink, recompute)) created.add(id);
    await reflagNumbers(client, [...numbersLeft]);
    result.childrenCreated = created.size;
    result.childrenToRecompute = [...recompute].sort();
    // A record stored new or changed changes its child's facts now (they are written with it), whether or not the
    // golden stage then finds a golden field changed: the change feed marks the child here. New children have no row.
    await markChildrenChanged(client, result.childrenToRecompute.filter((id) => !created.has(id)));
    await writeOutbox(client, OUTBOX_TOPICS.goldenRecordRecompute, result.childrenToRecompute);
    return result;
  }

  /**
   * What is stored under the items' keys (items without a string source system and external id are not
   * looked up). {@link prepare} does it; a caller may do it earlier, in parts, and pass the merged result.
   */
  async lookup(db: Queryable, items: IngestItem[]): Promise<StoredRows> {
    const bySystem = new Map<string, string[]>();
    for (const item of items) {
      const input = item.input as { sourceSystem?: unknown; externalId?: unknown };
      // An id PostgreSQL cannot take as a parameter is stored under no key: validation refuses its record.
      if (typeof input?.sourceSystem !== 'string' || typeof input.externalId !== 'string' || !isStorableText(input.externalId)) continue;
      let list = bySystem.get(input.sourceSystem);
      if (!list) bySystem.set(input.sourceSystem, (list = []));
      list.push(input.externalId);
    }
    const out: StoredRows = new Map();
    for (const [system, externalIds] of bySystem) for (const [k, v] of await this.lookupKeys(db, system, externalIds)) out.set(k, v);
    return out;
  }

  /**
   * The identity numbers stored for the items whose number the mapping flagged as having lost its leading zeros
   * ({@link ZEROS_LOST_FLAGS}), by key; null when no item is so flagged (the common case: no query).
   */
  private async numbersStoredWithZeros(db: Queryable, items: readonly IngestItem[]): Promise<Map<string, string> | null> {
    const bySystem = new Map<string, string[]>();
    for (const item of items) {
      if (!item.flags?.some((f) => f.field === 'identityNumber' && ZEROS_LOST_FLAGS.has(f.code))) continue;
      const input = item.input as { sourceSystem?: unknown; externalId?: unknown };
      if (typeof input?.sourceSystem !== 'string' || typeof input.externalId !== 'string' || !isStorableText(input.externalId)) continue;
      const list = bySystem.get(input.sourceSystem) ?? [];
      list.push(input.externalId.trim());
      bySystem.set(input.sourceSystem, list);
    }
    if (bySystem.size === 0) return null;
    const out = new Map<string, string>();
    for (const [system, externalIds] of bySystem) {
      const rows = await db.query<{ external_id: string; identity_number: string }>(
        'SELECT external_id, identity_number FROM source_record WHERE source_system = $1 AND external_id = ANY($2::text[]) AND identity_number IS NOT NULL',
        [system, externalIds],
      );
      for (const r of rows.rows) out.set(`${system}\u0000${r.external_id}`, r.identity_number);
    }
    return out;
  }

  /** What is stored under one source system's external ids. */
  async lookupKeys(db: Queryable, sourceSystem: string, externalIds: string[]): Promise<StoredRows> {
    const out: StoredRows = new Map();
    if (externalIds.length === 0) return out;
    const rows = await db.query<{ id: string; external_id: string; content_hash: string; child_id: string | null }>(
      'SELECT id, external_id, content_hash, child_id FROM source_record WHERE source_system = $1 AND external_id = ANY($2::text[])',
      [sourceSystem, externalIds],
    );
    for (const r of rows.rows) out.set(`${sourceSystem}\u0000${r.external_id}`, { id: r.id, contentHash: r.content_hash, childId: r.child_id });
    return out;
  }

  /**
   * Which of one source system's records differ from what is stored: `externalIds[i]` with content hash
   * `hashes[i]`. Returns the stored rows of the records that need writing — null for a key nothing is stored
   * under — by index; a record whose stored hash equals its own is left out. The comparison is PostgreSQL's,
   * and keys and hashes go as one JSON text each: re-reading unchanged data then costs the client a fraction
   * of a microsecond per record instead of an array parameter to serialise and a row to parse per key.
   */
  async lookupChanged(db: Queryable, sourceSystem: string, externalIds: string[], hashes: string[]): Promise<Map<number, StoredRow | null>> {
    const out = new Map<number, StoredRow | null>();
    if (externalIds.length === 0) return out;
    // An id jsonb cannot hold (U+0000, a lone surrogate) is stored under no key: its record is told as new,
    // and validation refuses it. The others are looked up at their places among themselves.
    let places: number[] | null = null;
    if (!externalIds.every(isStorableText)) {
      places = [];
      for (let i = 0; i < externalIds.length; i++) {
        if (isStorableText(externalIds[i]!)) places.push(i);
        else out.set(i, null);
      }
      externalIds = places.map((i) => externalIds[i]!);
      hashes = places.map((i) => hashes[i]!);
      if (externalIds.length === 0) return out;
    }
    const res = await db.query<{ i: number; id: string | null; content_hash: string | null; child_id: string | null }>(
      LOOKUP_CHANGED_SQL,
      [sourceSystem, JSON.stringify(externalIds), JSON.stringify(hashes)],
    );
    for (const r of res.rows) out.set(places ? places[r.i - 1]! : r.i - 1, r.id === null ? null : { id: r.id, contentHash: r.content_hash!, childId: r.child_id });
    return out;
  }

  /**
   * Decides the child of each record before it is written (its numbers are locked by the caller): a record
   * whose identity number is already linked elsewhere, or kept by a child with no source giving it
   * ({@link childrenByNumber}), joins that child; records sharing a new number share
   * one new child; the rest each get a new child. Writes nothing: the golden-record stage builds new children.
   */
  private async planLinks(client: PoolClient, planned: PreparedRecord[]): Promise<Map<PreparedRecord, PlannedLink>> {
    const numbers = [...new Set(planned.map((r) => r.identityNumber).filter((n): n is string => !!n))];
    const existing = await this.childrenByNumber(client, numbers);
    const links = new Map<PreparedRecord, PlannedLink>();
    // The new children this batch starts for a number, each a candidate for its later records (QA re-check: a girl's
    // second record, in the batch that kept her first apart, was compared with the boy's only).
    // A record's sex, birth date and name are read back from its fields only when another record carries its number.
    const inBatch = new Map<string, Array<{ childId: string; from: PreparedRecord; holder?: NumberHolder }>>();
    const holderOf = (x: { childId: string; from: PreparedRecord; holder?: NumberHolder }) => (x.holder ??= { childId: x.childId, ...demographicsOf(x.from) });
    for (const r of planned) {
      const number = r.identityNumber;
      const candidates = number ? existing.get(number) ?? [] : [];
      const started = number ? inBatch.get(number) ?? [] : [];
      if (!number || (candidates.length === 0 && started.length === 0)) {
        if (number) inBatch.set(number, [{ childId: r.newChildId, from: r }]);
        links.set(r, { childId: r.newChildId, rule: 'NEW_CHILD', created: true });
        continue;
      }
      const own = demographicsOf(r);
      const holder = bestHolder(own, [...candidates, ...started.map(holderOf)]);
      if (holder) {
        links.set(r, { childId: holder.childId, rule: 'IDENTITY_NUMBER', created: !candidates.includes(holder) });
        continue;
      }
      started.push({ childId: r.newChildId, from: r, holder: { childId: r.newChildId, ...own } });
      inBatch.set(number, started);
      links.set(r, { childId: r.newChildId, rule: 'NEW_CHILD', created: true, numberHeldBy: (candidates[0] ?? started[0])!.childId });
    }
    return links;
  }

  /**
   * Links each record whose identity number this batch changed (added, or corrected) to the child another
   * record already holds that number for, or that keeps it, as a new record with that number would be: the same child is then
   * one child, not two sharing a number (QA). Only links ingest made (by number, or a new child) move; a
   * steward's or the matcher's decision stands. A child left with no record is marked MERGED into the child
   * its record joined, so a reader of the old id is led there. When the child holding the number has no row
   * yet (the golden-record stage has not built it), the built child keeps its id and the holder's records join
   * it instead. A record that no child carrying its new number takes, and whose child's other records neither carry
   * it nor have its given name and birth date, was with them by its old number only: it leaves for a child of its own
   * (QA: a register row joined by a mistyped number and then corrected stayed in the other child, which took its
   * name, birth date and number; one of the same name and birth date stays, its number mistyped). Every
   * child involved is recomputed. The numbers were locked by {@link store}. Returns the new children.
   */
  private async relinkRenumbered(client: PoolClient, renumbered: Renumbered[], recompute: Set<string>): Promise<string[]> {
    const found = await this.childrenByNumber(client, [...new Set(renumbered.map((r) => r.number))], renumbered.map((r) => r.id));
    // Each record's child: its own when another of its records carries the number, else the one it agrees with most
    // that is not clearly another child; a number no other record carries, the batch's first record given it that it
    // agrees with. One clearly another child than every child carrying its number stays where it is, flagged (QA: a
    // pupil given another pupil's number by mistake was merged into that pupil's child; two given it in one batch too).
    const apart: Renumbered[] = [];
    const targetOf = new Map<string, string>();
    const inBatch = new Map<string, NumberHolder[]>();
    // Each child's records as they are now (this batch's written), for a record no child carrying its new number takes:
    // it stays with records carrying that number too, or with one of the same given name and birth date (its number
    // mistyped), else it leaves for a child of its own.
    const recordsOf = await recordsOfChildren(client, [...new Set(renumbered.map((r) => r.childId))]);
    const leaving: Array<{ id: string; from: string; to: string }> = [];
    for (const r of renumbered) {
      const candidates = found.get(r.number) ?? [];
      const started = inBatch.get(r.number) ?? [];
      const all = [...candidates, ...started];
      const holder = all.find((h) => h.childId === r.childId) ?? bestHolder(r.demographics, all);
      if (holder) targetOf.set(r.id, holder.childId);
      else {
        if (all.length) apart.push(r);
        const records = recordsOf.get(r.childId);
        records?.delete(r.id);
        let target = r.childId;
        if (records?.size && ![...records.values()].some((o) => o.number === r.number || sameChild(r.demographics, o))) {
          target = newId('child');
          leaving.push({ id: r.id, from: r.childId, to: target });
        } else records?.set(r.id, { number: r.number, ...r.demographics });
        targetOf.set(r.id, target);
        started.push({ childId: target, ...r.demographics });
        inBatch.set(r.number, started);
      }
    }
    if (apart.length) {
      await flagNumbersHeld(client, apart.map((r) => ({ id: r.id, heldBy: [...(found.get(r.number) ?? []), ...(inBatch.get(r.number) ?? [])].find((h) => h.childId !== targetOf.get(r.id))?.childId ?? null })));
    }
    if (leaving.length) {
      await client.query(
        `UPDATE source_record s SET child_id = m.child_id, link_rule = 'NEW_CHILD', linked_at = now(), linked_by = 'ingest'
           FROM unnest($1::text[], $2::text[]) AS m(record_id, child_id) WHERE s.id = m.record_id`,
        [leaving.map((m) => m.id), leaving.map((m) => m.to)],
      );
      for (const m of leaving) {
        recompute.add(m.from);
        recompute.add(m.to);
      }
    }
    const fresh = new Set(leaving.map((m) => m.to));
    renumbered = renumbered.filter((r) => !apart.includes(r) && !leaving.some((m) => m.id === r.id));
    if (renumbered.every((r) => targetOf.get(r.id) === r.childId)) return [...fresh];
    // A holder the golden-record stage has not built yet (its records came in an earlier batch or file of this
    // sync) has no row: nobody has seen its id, and a child with a row cannot be merged into it (the sync failed
    // on `merged_into_id`'s key, QA). The built child a renumbered record leaves keeps its id instead, and the
    // holder's records join it.
    const involved = [...new Set([...targetOf.values(), ...renumbered.map((r) => r.childId)])];
    const built = new Set((await client.query<{ id: string }>(
      `SELECT id FROM child WHERE id = ANY($1::text[]) AND status = 'ACTIVE'`, [involved])).rows.map((r) => r.id));
    const absorbed: Array<{ from: string; to: string }> = [];
    for (const holder of new Set(renumbered.map((r) => targetOf.get(r.id)!))) {
      // (A child a record left for just now is new, not one of an earlier batch.)
      if (built.has(holder) || fresh.has(holder)) continue;
      const survivor = renumbered.find((r) => targetOf.get(r.id) === holder && built.has(r.childId))?.childId;
      if (!survivor) continue;
      for (const r of renumbered) if (targetOf.get(r.id) === holder) targetOf.set(r.id, survivor);
      absorbed.push({ from: holder, to: survivor });
    }
    if (absorbed.length) {
      await client.query(
        `UPDATE source_record s SET child_id = m.child_id, link_rule = 'IDENTITY_NUMBER', linked_at = now(), linked_by = 'ingest'
           FROM unnest($1::text[], $2::text[]) AS m(left_id, child_id)
          WHERE s.child_id = m.left_id AND s.linked_by = 'ingest'`,
        [absorbed.map((a) => a.from), absorbed.map((a) => a.to)],
      );
      for (const a of absorbed) recompute.add(a.to);
    }
    const moves = renumbered.filter((r) => targetOf.get(r.id) !== r.childId);
    if (moves.length) await this.moveRecords(client, moves.map((m) => ({ id: m.id, from: m.childId, to: targetOf.get(m.id)! })), recompute);
    return [...fresh];
  }

  /**
   * Moves records to the children they join by their number, each no longer kept apart from it (its
   * {@link NUMBER_HELD_BY_ANOTHER_CHILD} flag dropped), and marks a child left with no record MERGED into the child its
   * record joined, so a reader of the old id is led there. Both children are recomputed.
   */
  private async moveRecords(client: PoolClient, moves: ReadonlyArray<{ id: string; from: string; to: string }>, recompute: Set<string>): Promise<void> {
    await client.query(
      `UPDATE source_record s SET child_id = m.child_id, link_rule = 'IDENTITY_NUMBER', linked_at = now(), linked_by = 'ingest',
              flags = coalesce((SELECT jsonb_agg(f) FROM jsonb_array_elements(s.flags) AS f WHERE f->>'code' <> $3), '[]'::jsonb)
         FROM unnest($1::text[], $2::text[]) AS m(record_id, child_id)
        WHERE s.id = m.record_id`,
      [moves.map((m) => m.id), moves.map((m) => m.to), NUMBER_HELD_BY_ANOTHER_CHILD],
    );
    // The numbers its records gave it are given by no source now (QA: a merged child still listed the mistyped number
    // as GIVEN, not superseded, and showed it as its number); a number the registry verified or issued stays as it was.
    await client.query(
      `WITH merged AS (
         UPDATE child c SET status = 'MERGED', merged_into_id = m.child_id, updated_at = now(), version = c.version + 1, ${MARK_CHANGED},
                identity_number = CASE WHEN c.identity_status IN ('VERIFIED', 'ISSUED', 'CONFLICT') THEN c.identity_number END,
                identity_status = CASE WHEN c.identity_status IN ('VERIFIED', 'ISSUED', 'CONFLICT') THEN c.identity_status ELSE 'NO_NUMBER' END
           FROM unnest($1::text[], $2::text[]) AS m(left_id, child_id)
          WHERE c.id = m.left_id AND c.status = 'ACTIVE' AND c.id <> m.child_id
            AND EXISTS (SELECT 1 FROM child h WHERE h.id = m.child_id)
            AND NOT EXISTS (SELECT 1 FROM source_record s WHERE s.child_id = c.id)
         RETURNING c.id)
       UPDATE identity_number n SET status = 'SUPERSEDED', superseded_at = now() FROM merged WHERE n.child_id = merged.id AND n.status = 'GIVEN'`,
      [moves.map((m) => m.from), moves.map((m) => m.to)],
    );
    for (const m of moves) {
      recompute.add(m.from);
      recompute.add(m.to);
    }
  }

  /**
   * Records linked by ingest whose sex, birth date or name the source has since changed, judged again against the
   * children carrying their number ({@link contradicts}): one that now clearly is another child than its child's other
   * records carrying the number leaves, for the child it agrees with, else one of its own, flagged
   * {@link NUMBER_HELD_BY_ANOTHER_CHILD} (QA: a record corrected to a girl, "Lê Thị Dung", stayed in the boy's child,
   * which then showed her name and sex, and the boy no longer showed at all; a child's first record too); one kept apart
   * that now agrees with a child carrying the number joins it. Returns the new children.
   */
  private async separateContradicted(client: PoolClient, records: Renumbered[], recompute: Set<string>): Promise<string[]> {
    const found = await this.childrenByNumber(client, [...new Set(records.map((r) => r.number))], records.map((r) => r.id));
    const out: Array<{ id: string; from: string; to: string; heldBy: string }> = [];
    const joins: Array<{ id: string; from: string; to: string }> = [];
    for (const r of records) {
      const candidates = found.get(r.number) ?? [];
      const own = candidates.find((h) => h.childId === r.childId);
      if (own) {
        // Its child's other records carry the number: it leaves when it clearly is another child now (its first
        // record corrected too: QA re-check), for the child it agrees with, else one of its own.
        if (!contradicts(r.demographics, own)) continue;
        const other = bestHolder(r.demographics, candidates.filter((h) => h.childId !== r.childId));
        if (other) joins.push({ id: r.id, from: r.childId, to: other.childId });
        else out.push({ id: r.id, from: r.childId, to: newId('child'), heldBy: r.childId });
      } else if (r.held) {
        // Kept apart before, and now agreeing with a child carrying the number (the source corrected it): it joins it.
        const best = bestHolder(r.demographics, candidates);
        if (best) joins.push({ id: r.id, from: r.childId, to: best.childId });
      }
    }
    if (joins.length) await this.moveRecords(client, joins, recompute);
    if (out.length === 0) return [];
    await client.query(
      `UPDATE source_record s SET child_id = m.child_id, link_rule = 'NEW_CHILD', linked_at = now(), linked_by = 'ingest'
         FROM unnest($1::text[], $2::text[]) AS m(record_id, child_id) WHERE s.id = m.record_id`,
      [out.map((m) => m.id), out.map((m) => m.to)],
    );
    await flagNumbersHeld(client, out.map((m) => ({ id: m.id, heldBy: m.heldBy })));
    for (const m of out) {
      recompute.add(m.from);
      recompute.add(m.to);
    }
    return out.map((m) => m.to);
  }

  /**
   * The children each identity number belongs to, in one statement ({@link CHILDREN_BY_NUMBER_SQL}), first the one
   * the earliest linked record carrying it is linked to (records `exclude` names left out; the others after it, each
   * a candidate a record may join when it is not clearly another child: {@link contradicts}), followed to the
   * child it was merged into — a child whose row the golden-record stage has not built yet is still the
   * child its records name; failing that, for a number no linked record carries, the child that keeps it
   * (the population database issued it, or verified it and its source dropped it since: the golden stage
   * keeps it as the child's number), so a record with that number joins that child instead of starting a
   * second one the reconciler would mark CONFLICT with the first.
   */
  private async childrenByNumber(client: PoolClient, numbers: string[], exclude: string[] = []): Promise<Map<string, NumberHolder[]>> {
    const existing = new Map<string, NumberHolder[]>();
    if (numbers.length === 0) return existing;
    type Row = { identity_number: string; child_id: string; sex: string | null; birth_date: string | null; birth_date_precision: string | null; birth_date_estimated: boolean | null; name_folded: string | null; linked?: boolean };
    const found = await client.query<Row>(
      exclude.length ? CHILDREN_BY_NUMBER_EXCLUDING_SQL : CHILDREN_BY_NUMBER_SQL,
      exclude.length ? [JSON.stringify(numbers), exclude] : [JSON.stringify(numbers)],
    );
    // The numbers a linked record carries may be carried by records of other children too: all of them are candidates
    // (a second statement, for those numbers only: most numbers a batch brings are new, and it is not run).
    const carried = found.rows.filter((r) => r.linked).map((r) => r.identity_number);
    const rows = carried.length
      ? [...found.rows.filter((r) => !r.linked), ...(await client.query<Row>(ALL_CHILDREN_BY_NUMBER_SQL, [carried, exclude])).rows]
      : found.rows;
    for (const r of rows) {
      const holder: NumberHolder = {
        childId: r.child_id, sex: r.sex, birthDate: r.birth_date, precision: r.birth_date_precision, estimated: r.birth_date_estimated === true, nameFolded: r.name_folded,
      };
      const list = existing.get(r.identity_number);
      if (list) list.push(holder);
      else existing.set(r.identity_number, [holder]);
    }
    return existing;
  }

  /**
   * Links records already written without a child (the upsert path): the same rules as {@link planLinks},
   * applied after the write, with an UPDATE of each record. Returns the new children's ids.
   */
  private async link(client: PoolClient, toLink: PreparedRecord[], recompute: Set<string>): Promise<string[]> {
    const numbers = [...new Set(toLink.map((t) => t.identityNumber).filter((n): n is string => !!n))].sort();
    if (numbers.length) await lockNumbers(client, numbers);
    const links = await this.planLinks(client, toLink);
    const created = new Set<string>();
    for (const link of links.values()) {
      recompute.add(link.childId);
      if (link.created) created.add(link.childId);
    }
    await client.query(
      `UPDATE source_record s SET child_id = l.child_id, link_rule = l.rule, linked_at = now(), linked_by = 'ingest'
         FROM unnest($1::text[], $2::text[], $3::text[]) AS l(record_id, child_id, rule)
        WHERE s.id = l.record_id`,
      [toLink.map((t) => t.id), toLink.map((t) => links.get(t)!.childId), toLink.map((t) => links.get(t)!.rule)],
    );
    await flagNumbersHeld(client, toLink.filter((t) => links.get(t)!.numberHeldBy !== undefined).map((t) => ({ id: t.id, heldBy: links.get(t)!.numberHeldBy! })));
    return [...created];
  }

  /**
   * Keeps refused records in `rejected_record` with their reasons (field, code, a message about the value's
   * kind), in the caller's transaction. The payload is stored, never logged.
   *
   * A record has at most one open row: "the same record" is the same source system and external id, or,
   * without an external id, the same payload (its JSON's SHA-256, `payload_hash`). Read again with the same
   * payload, its open row is kept and marks that it was seen again (`last_seen_at`, `last_run_id`, and
   * `times_seen` once per run); read again with another payload, the open row is closed as `SUPERSEDED`
   * and the new reading opens one. A record with no open row read again with a payload it was dismissed
   * with (`DISMISSED`, by hand) opens nothing: its dismissed row marks that it was seen again, as an open
   * row would. Every run that reads the record so is linked to its row (`rejected_record_run`). A statement
   * or three per call, never one per record.
   *
   * Returns how many of `rejects` count as rejected for the run (`opts.connectorRunId`): each record once
   * per run, so a record the run quarantined already (a repeated page) is not counted again. Without a
   * run every record given counts.
   */
  async quarantine(client: PoolClient, rejects: QuarantinedRecord[], opts: IngestOptions = {}): Promise<number> {
    if (rejects.length === 0) return 0;
    const runId = opts.connectorRunId ?? null;
    // A dismissal of these records in progress is waited for, so the statements below see it (quarantine-lock.ts).
    await lockQuarantine(client, rejects.map((r) => r.sourceSystem));
    // One row per record and statement (ON CONFLICT cannot touch a row twice): the last reading wins.
    const byRecord = new Map<string, QuarantineRow>();
    for (const given of rejects) {
      // An id text cannot hold is no id the record could ever be stored under: the reject is one without an id (told
      // apart by its payload, where the id is written out). Written out as the id, it would be another record's, whose
      // storing would close this reject (QA re-check: a record whose id was `\u0000` as text did).
      const r = given.externalId !== null && !isStorableText(given.externalId) ? { ...given, externalId: null } : given;
      const payload = payloadJson(r.payload);
      const payloadHash = hash('sha256', payload, 'hex');
      const key = r.externalId !== null ? `${r.sourceSystem}\u0000id\u0000${r.externalId}` : `${r.sourceSystem}\u0000payload\u0000${payloadHash}`;
      byRecord.delete(key);
      byRecord.set(key, { reject: r, payload, payloadHash });
    }
    const withId: QuarantineRow[] = [];
    const withoutId: QuarantineRow[] = [];
    for (const row of byRecord.values()) (row.reject.externalId !== null ? withId : withoutId).push(row);
    let seenAgain = 0;
    let counted = 0;
    if (withId.length) {
      // A record read again with another payload: its open row gives way to the new one. Had this run opened
      // that row, the record was counted then, and is not counted twice.
      const superseded = await client.query<{ again: boolean }>(SUPERSEDE_SQL, [
        runId, withId.map((r) => r.reject.sourceSystem), withId.map((r) => r.reject.externalId), withId.map((r) => r.payloadHash),
      ]);
      for (const row of superseded.rows) if (row.again) seenAgain++;
      counted += await this.openRejects(client, withId, opts, OPEN_BY_EXTERNAL_ID);
    }
    if (withoutId.length) counted += await this.openRejects(client, withoutId, opts, OPEN_BY_PAYLOAD);
    return counted - seenAgain;
  }

  /**
   * Inserts `rows` as open rejects, or marks the open row of each record seen again, or (a record with no
   * open row, read with a payload it was dismissed with) its newest such dismissed row; returns the records
   * new to the run. One statement: with no dismissed rows the look-up is a probe of an empty partial index.
   */
  private async openRejects(client: PoolClient, rows: QuarantineRow[], opts: IngestOptions, arbiter: OpenArbiter): Promise<number> {
    const res = await client.query<{ counted: number }>(
      `WITH n AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::json[], $8::jsonb[], $9::text[])
                AS n(id, connector_id, run_id, source_system, external_id, location, payload, reasons, payload_hash)
       ), dismissed AS (
         SELECT DISTINCT ON (n.id) n.id AS reading, x.id, (n.run_id IS NULL OR x.last_run_id IS DISTINCT FROM n.run_id) AS counted
           FROM n JOIN rejected_record x ON x.resolution = 'DISMISSED' AND x.source_system = n.source_system
                                        AND x.payload_hash = n.payload_hash AND x.external_id IS NOT DISTINCT FROM n.external_id
          WHERE NOT EXISTS (SELECT 1 FROM rejected_record o WHERE o.resolved_at IS NULL AND o.source_system = n.source_system AND ${arbiter.open})
          ORDER BY n.id, x.resolved_at DESC, x.id DESC
       ), seen AS (
         UPDATE rejected_record x SET last_seen_at = now(), last_run_id = n.run_id, times_seen = x.times_seen + 1,
                location = n.location, reasons = n.reasons, connector_id = coalesce(n.connector_id, x.connector_id)
           FROM dismissed d JOIN n ON n.id = d.reading
          WHERE x.id = d.id AND d.counted
         RETURNING x.id, x.last_run_id AS run_id
       ), closed_here AS (
         -- A record this run stored (or read valid and unchanged), closing its reject, then read again as refused with
         -- the same payload: an earlier file of a drop read again holds a valid copy, a later one the refused copy. Its
         -- row is opened again rather than left closed beside a new one (QA: each forced read closed and opened one
         -- more row per record).
         SELECT n.id AS reading, y.id, (y.last_run_id IS DISTINCT FROM n.run_id) AS counted
           FROM n JOIN LATERAL (
                  SELECT y.id, y.last_run_id FROM rejected_record y
                   WHERE y.resolution = 'STORED' AND y.resolved_by_run_id = n.run_id AND y.source_system = n.source_system
                     AND y.external_id = n.external_id AND y.payload_hash = n.payload_hash
                   ORDER BY y.id DESC LIMIT 1) y ON true
          WHERE ${arbiter === OPEN_BY_EXTERNAL_ID ? 'n.run_id IS NOT NULL' : 'FALSE'}
            AND NOT EXISTS (SELECT 1 FROM dismissed d WHERE d.reading = n.id)
            AND NOT EXISTS (SELECT 1 FROM rejected_record o WHERE o.resolved_at IS NULL AND o.source_system = n.source_system AND ${arbiter.open})
       ), reopened AS (
         UPDATE rejected_record x SET resolved_at = NULL, resolution = NULL, resolved_by_run_id = NULL, last_seen_at = now(),
                last_run_id = n.run_id, times_seen = x.times_seen + CASE WHEN c.counted THEN 1 ELSE 0 END,
                location = n.location, reasons = n.reasons, connector_id = coalesce(n.connector_id, x.connector_id),
                -- Open again, it holds its payload again (the same: equal hashes), had its retention erased it meanwhile.
                payload = n.payload, payload_erased_at = NULL
           FROM closed_here c JOIN n ON n.id = c.reading
          WHERE x.id = c.id
         RETURNING c.reading, x.id, x.last_run_id AS run_id, c.counted
       ), opened AS (
         INSERT INTO rejected_record (id, connector_id, connector_run_id, last_run_id, source_system, external_id, location, payload, reasons, payload_hash)
         SELECT id, connector_id, run_id, run_id, source_system, external_id, location, payload, reasons, payload_hash
           FROM n WHERE NOT EXISTS (SELECT 1 FROM dismissed d WHERE d.reading = n.id) AND NOT EXISTS (SELECT 1 FROM reopened r WHERE r.reading = n.id)
         ON CONFLICT ${arbiter.index} DO UPDATE SET
           last_seen_at = now(), last_run_id = EXCLUDED.last_run_id, times_seen = rejected_record.times_seen + 1,
           location = EXCLUDED.location, reasons = EXCLUDED.reasons, connector_id = coalesce(EXCLUDED.connector_id, rejected_record.connector_id)
         WHERE EXCLUDED.last_run_id IS NULL OR rejected_record.last_run_id IS DISTINCT FROM EXCLUDED.last_run_id
         RETURNING id, last_run_id AS run_id
       ), linked AS (
         -- Each run that read the record, for rejectedRecords(runId): first and last run alone lost the runs between.
         INSERT INTO rejected_record_run (run_id, reject_id)
         SELECT run_id, id FROM (SELECT id, run_id FROM opened UNION ALL SELECT id, run_id FROM seen UNION ALL SELECT id, run_id FROM reopened) r
          WHERE run_id IS NOT NULL
         ON CONFLICT DO NOTHING
       )
       SELECT ((SELECT count(*) FROM opened) + (SELECT count(*) FROM seen) + (SELECT count(*) FROM reopened WHERE counted))::int AS counted`,
      [
        rows.map(() => newId('rejectedRecord')),
        rows.map(() => opts.connectorId ?? null),
        rows.map(() => opts.connectorRunId ?? null),
        rows.map((r) => r.reject.sourceSystem),
        rows.map((r) => r.reject.externalId),
        rows.map((r) => r.reject.location),
        rows.map((r) => r.payload),
        rows.map((r) => JSON.stringify(r.reject.problems)),
        rows.map((r) => r.payloadHash),
      ],
    );
    return res.rows[0]!.counted;
  }

  /**
   * Closes the open rejects of records stored (or read valid and equal to what is stored) by run `runId`:
   * `resolution = 'STORED'`, in the caller's transaction, one statement for all of `externalIds`. Returns
   * how many rows it closed.
   */
  async resolveRejects(client: PoolClient, sourceSystem: string, externalIds: string[], runId: string | null): Promise<number> {
    if (externalIds.length === 0) return 0;
    const res = await client.query(
      `UPDATE rejected_record SET resolved_at = now(), resolution = 'STORED', resolved_by_run_id = $3
        WHERE resolved_at IS NULL AND source_system = $1 AND external_id = ANY($2::text[])`,
      [sourceSystem, externalIds, runId],
    );
    return res.rowCount ?? 0;
  }

  /** The content hashes of what is stored under these external ids of a source system (ids PostgreSQL cannot hold are none). */
  async storedHashes(db: Queryable, sourceSystem: string, externalIds: string[]): Promise<string[]> {
    const ids = externalIds.filter(isStorableText);
    if (ids.length === 0) return [];
    const res = await db.query<{ content_hash: string }>(
      'SELECT content_hash FROM source_record WHERE source_system = $1 AND external_id = ANY($2::text[])', [sourceSystem, ids]);
    return res.rows.map((r) => r.content_hash);
  }

  /**
   * The records of a source system with an open reject (an external id), each with the content hash of what
   * is stored under its key (null: nothing). Few rows: a sync reads them once, to resolve those rejects
   * when it stores the records (or finds them valid and unchanged) without a query per record.
   */
  async openRejectKeys(db: Queryable, sourceSystem: string): Promise<Array<{ externalId: string; storedHash: string | null }>> {
    const res = await db.query<{ external_id: string; content_hash: string | null }>(
      `SELECT x.external_id, s.content_hash FROM rejected_record x
         LEFT JOIN source_record s ON s.source_system = x.source_system AND s.external_id = x.external_id
        WHERE x.source_system = $1 AND x.resolved_at IS NULL AND x.external_id IS NOT NULL`,
      [sourceSystem],
    );
    return res.rows.map((r) => ({ externalId: r.external_id, storedHash: r.content_hash }));
  }
}

/** A reject about to be written, with its payload's JSON and that JSON's SHA-256. */
interface QuarantineRow {
  reject: QuarantinedRecord;
  payload: string;
  payloadHash: string;
}

/**
 * How a reading (`n`) finds its record's open row (`o`): `index`, the unique index that keeps one open row per
 * record (Migration20261205000000_quarantine_open_rejects) as `ON CONFLICT` names it; `open`, the same test
 * as a condition.
 */
interface OpenArbiter {
  index: string;
  open: string;
}
const OPEN_BY_EXTERNAL_ID: OpenArbiter = {
  index: '(source_system, external_id) WHERE resolved_at IS NULL AND external_id IS NOT NULL',
  open: 'o.external_id = n.external_id',
};
const OPEN_BY_PAYLOAD: OpenArbiter = {
  index: '(source_system, payload_hash) WHERE resolved_at IS NULL AND external_id IS NULL',
  open: 'o.external_id IS NULL AND o.payload_hash = n.payload_hash',
};

/**
 * Closes open rejects read again with another payload: $1 the run, $2-$4 source systems, external ids and
 * payload hashes. `again`: the row was last seen by this same run.
 */
const SUPERSEDE_SQL = `
UPDATE rejected_record x SET resolved_at = now(), resolution = 'SUPERSEDED', resolved_by_run_id = $1
  FROM unnest($2::text[], $3::text[], $4::text[]) AS n(source_system, external_id, payload_hash)
 WHERE x.resolved_at IS NULL AND x.source_system = n.source_system AND x.external_id = n.external_id AND x.payload_hash <> n.payload_hash
RETURNING ($1::text IS NOT NULL AND x.last_run_id IS NOT DISTINCT FROM $1::text) AS again`;

/**
 * Takes the transaction's advisory lock on each identity number, in order, so two batches never make two
 * children of one new number. Lists go as one JSON text: an array parameter costs the client a serialised
 * element per number. The locks are taken after the sort (PostgreSQL evaluates a volatile output after
 * `ORDER BY`) in a subquery kept apart by `OFFSET 0`, and only their count comes back: one row per number
 * (about 1,500 per batch of 2,000 birth registrations) was parsed by the client for nothing.
 */
async function lockNumbers(client: PoolClient, sortedNumbers: string[]): Promise<void> {
  await client.query(
    `SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtextextended(n, 7)) FROM jsonb_array_elements_text($1::jsonb) AS n ORDER BY n OFFSET 0) AS locked`,
    [JSON.stringify(sortedNumbers)],
  );
}

/**
 * The keys (`source system \0 external id`) of `records` whose stored row run `runId` wrote, or (`readEarlier`)
 * read as it is stored earlier in the run, each with that row's content hash (the run's copy): one indexed
 * statement, on the write-by-key path only (a new record is written by COPY and never looked for here),
 * before the write.
 */
async function keysStoredByRun(
  client: PoolClient, records: PreparedRecord[], runId: string, readEarlier: IngestOptions['readEarlierInRun'], since?: string,
): Promise<Map<string, string | null>> {
  const systems: string[] = [];
  const ids: string[] = [];
  for (const r of records) {
    const at = r.key.indexOf('\u0000');
    systems.push(r.key.slice(0, at));
    ids.push(r.key.slice(at + 1));
  }
  // With `readEarlier`, every stored row comes back with its hash (rows of changed records only: a few per batch).
  const res = await client.query<{ source_system: string; external_id: string; by_run: boolean; content_hash: string | null }>(
    `SELECT s.source_system, s.external_id, s.connector_run_id IS NOT DISTINCT FROM $3 AND ($5::timestamptz IS NULL OR s.last_seen_at >= $5) AS by_run, s.content_hash
       FROM unnest($1::text[], $2::text[]) AS k(source_system, external_id)
       JOIN source_record s ON s.source_system = k.source_system AND s.external_id = k.external_id
      WHERE $4 OR s.connector_run_id = $3`,
    [systems, ids, runId, readEarlier !== undefined, since ?? null],
  );
  const out = new Map<string, string | null>();
  for (const r of res.rows) {
    if (r.by_run || (r.content_hash !== null && readEarlier?.(r.external_id, r.content_hash))) out.set(`${r.source_system}\u0000${r.external_id}`, r.content_hash);
  }
  return out;
}

/**
 * The most records, and the most bytes of their encoded fields, one statement of the write-by-key path
 * takes: a batch's changed records beyond that go in more statements of the same transaction. A batch of
 * 1,000 records (an HTTP page at its usual size, a CSV slice) of ordinary size stays one statement.
 */
export const UPSERT_CHUNK_RECORDS = 1_000;
export const UPSERT_CHUNK_BYTES = 4 * 1024 * 1024;

/** `records` in runs of at most {@link UPSERT_CHUNK_RECORDS} records and (but for a record bigger alone) {@link UPSERT_CHUNK_BYTES}. */
export function* upsertChunks<T extends { fields: Buffer }>(records: T[]): Generator<T[]> {
  let start = 0;
  while (start < records.length) {
    let end = start;
    let bytes = 0;
    while (end < records.length && end - start < UPSERT_CHUNK_RECORDS && (end === start || bytes + records[end]!.fields.length <= UPSERT_CHUNK_BYTES)) {
      bytes += records[end]!.fields.length;
      end++;
    }
    yield records.slice(start, end);
    start = end;
  }
}

/** Links ingest makes itself, which a record's new identity number may move ({@link IngestService.relinkRenumbered}). */
const AUTOMATIC_LINKS = new Set(['IDENTITY_NUMBER', 'NEW_CHILD']);

/** A linked record whose identity number a batch changed. */
interface Renumbered {
  id: string;
  /** The child it is linked to. */
  childId: string;
  /** Its new number. */
  number: string;
  /** Its sex, birth date and name, for {@link contradicts}. */
  demographics: Demographics;
  /** Whether it was kept apart from the children carrying its number ({@link NUMBER_HELD_BY_ANOTHER_CHILD}). */
  held?: boolean;
}

/**
 * The identity number and link rule stored under each of `records` that is linked (one that carries a number now may
 * be renumbered onto another child; one that no longer carries its number leaves it to a record kept apart for it),
 * by record id: one indexed statement on the
 * write-by-key path, before the write.
 */
async function previousNumbers(client: PoolClient, records: PreparedRecord[]): Promise<Map<string, PreviousLink>> {
  const ids = records.filter((r) => r.stored?.childId).map((r) => r.id);
  const out = new Map<string, PreviousLink>();
  if (ids.length === 0) return out;
  const res = await client.query<{ id: string; identity_number: string | null; link_rule: string | null; sex: string | null; birth_date: string | null; name_folded: string | null; held: boolean }>(
    `SELECT id, identity_number, link_rule, sex, birth_date::text AS birth_date, name_folded,
            flags @> jsonb_build_array(jsonb_build_object('code', $2::text)) AS held
       FROM source_record WHERE id = ANY($1::text[])`, [ids, NUMBER_HELD_BY_ANOTHER_CHILD]);
  for (const r of res.rows) out.set(r.id, { number: r.identity_number, linkRule: r.link_rule, sex: r.sex, birthDate: r.birth_date, nameFolded: r.name_folded, held: r.held });
  return out;
}

/** A linked record's number, link rule, sex, birth date and name before a write. */
interface PreviousLink {
  number: string | null;
  linkRule: string | null;
  sex: string | null;
  birthDate: string | null;
  nameFolded: string | null;
  /** Kept apart from the children carrying its number ({@link NUMBER_HELD_BY_ANOTHER_CHILD}). */
  held: boolean;
}

/**
 * Sets the write-once savepoint and reads the transaction's time, in one round trip (simple protocol), after
 * `before` (statements to run first, or null).
 */
async function savepointNow(client: PoolClient, before: string | null): Promise<string> {
  const res = (await client.query(`${before ?? ''}SAVEPOINT ingest_write_once; SELECT now()::text AS now`)) as unknown as QueryResult<{ now: string }> | Array<QueryResult<{ now: string }>>;
  const last = Array.isArray(res) ? res[res.length - 1] : res;
  return last!.rows[0]!.now;
}

/**
 * An insert of the layouts `records` stored as text name, skipping the ones stored already, as one statement
 * of literal values (it runs in a multi-statement query); null when they name none. Few per batch: one per
 * file read.
 */
function layoutsSql(records: Iterable<PreparedRecord>): string | null {
  const byId = new Map<string, RecordLayout>();
  for (const r of records) if (r.layout !== undefined) byId.set(r.layout.id, r.layout);
  if (byId.size === 0) return null;
  const values = [...byId.values()].map((l) =>
    `(${[l.id, l.format, l.delimiter, l.quote, l.header, JSON.stringify(l.columns)].map((v) => pg.escapeLiteral(v)).join(', ')})`);
  return `INSERT INTO record_layout (id, format, delimiter, quote, header, columns) VALUES ${values.join(', ')} ON CONFLICT (id) DO NOTHING;`;
}

/**
 * Whether a record's text can be stored as text: PostgreSQL text cannot hold U+0000, which a broken export
 * can put in a column no mapping reads. Such a record keeps `raw` as JSON (which writes it as an escape)
 * rather than failing its batch.
 */
function storableText(t: RecordText): boolean {
  return !t.text.includes('\u0000') && !t.layout.header.includes('\u0000');
}

/** The problem of a record whose payload is nested deeper than JavaScript's stack lets it be written or hashed. */
const TOO_DEEP: RecordProblem = { field: 'raw', code: 'TOO_DEEP', message: 'is nested too deeply to be stored as JSON' };

/** The record normalised, or null when its payload is too deep to hash ({@link TOO_DEEP}). */
function normalizedOrTooDeep(input: SourceRecordInput, contentHash: string | undefined): NormalizedSourceRecord | null {
  try {
    return normalizeSourceRecord(input, contentHash);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return null;
  }
}

/**
 * Makes sure a record kept as JSON can be stored (its JSON text is worked out here, once, for encodeRecord):
 * the problem of one that cannot, or null. JSON with a lone surrogate's escape is refused by PostgreSQL
 * (`22P02`), which would fail the whole batch (storable-text.ts); a payload nested deeper than JavaScript's
 * stack lets `JSON.stringify` go fails it too (QA: a record 5,000 objects deep).
 */
function storableRaw(r: NormalizedSourceRecord): RecordProblem | null {
  let json = r.rawJson;
  if (json === undefined) {
    try {
      json = r.rawJson = JSON.stringify(r.raw);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      return TOO_DEEP;
    }
  }
  // JSON bytes as a server sent them: decoded only when they hold an escape at all.
  const hasLone = typeof json === 'string' ? jsonHasLoneSurrogate(json) : json.includes('\\u') && jsonHasLoneSurrogate(json.toString('utf8'));
  return hasLone ? { field: 'raw', code: 'INVALID_TEXT', message: LONE_SURROGATE_MESSAGE } : null;
}

/**
 * A reject's payload as json PostgreSQL takes: a lone surrogate's escape written out as text; a payload too
 * deep for `JSON.stringify` kept as a note saying so (its reasons say what was refused), so the page it came
 * in still lands (QA: a record 5,000 objects deep failed its page with "Maximum call stack size exceeded").
 */
function payloadJson(payload: unknown): string {
  try {
    return storableJsonText(JSON.stringify(payload ?? null));
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return JSON.stringify({ notKept: 'the record was nested too deeply to be kept as JSON' });
  }
}

/** `[]` as a jsonb field: most records have no groups and no flags. */
const EMPTY_LIST = '[]';

/** Where prepared records' COPY fields are written (slabs outside the heap, shared by every batch). */
const encoder = new CopyEncoder();

/**
 * A source record's COPY fields ({@link COLUMNS}, in order, without the link columns), as UTF-8. Written in
 * three pieces so the raw payload, most of a row, is encoded once and never joined into another string.
 */
function encodeRecord(r: NormalizedSourceRecord, id: string, opts: IngestOptions): Buffer {
  encoder.start();
  encoder.put(`${copyText(id)}\t${copyText(r.sourceSystem)}\t${copyText(r.externalId)}\t`);
  const text = r.rawText;
  if (text !== undefined) {
    encoder.put(`\\N\t${restFields(r, opts)}\t`);
    encoder.put(copyText(text.text));
    encoder.put(`\t${copyText(text.layout.id)}`);
    return encoder.finish();
  }
  const raw = r.rawJson ?? JSON.stringify(r.raw);
  if (typeof raw === 'string') encoder.put(copyJsonText(raw));
  else encoder.putJson(raw);
  encoder.put(`\t${restFields(r, opts)}\t\\N\t\\N`);
  return encoder.finish();
}

/** The fields after `raw`. */
function restFields(r: NormalizedSourceRecord, opts: IngestOptions): string {
  const born = r.birthDate ?? null;
  const commune = r.communeCode ?? null;
  return `${copyText(r.fullName)}\t${copyText(r.familyName)}\t${copyText(r.middleName)}\t${copyText(r.givenName)}\t${copyText(r.nameFolded)}\t` +
    `${copyText(r.sex ?? null)}\t${copyText(born)}\t${copyText(born ? (r.birthDatePrecision ?? 'DAY') : null)}\t${copyBool(r.birthDateEstimated ?? false)}\t` +
    // A code given without saying its set is a 2025 code; a set given as null is a code in no known list.
    `${copyText(commune)}\t${copyText(commune ? (r.communeCodeSet === undefined ? 'VN-2025' : r.communeCodeSet) : null)}\t` +
    `${copyText(r.fatherName ?? null)}\t${copyText(r.motherName ?? null)}\t${copyText(r.carerName ?? null)}\t${copyText(r.identityNumber)}\t` +
    `${r.groups?.length ? copyText(JSON.stringify(r.groups)) : EMPTY_LIST}\t${copyText(r.contentHash)}\t${copyText(r.sourceUpdatedAt ?? null)}\t` +
    `${copyText(opts.connectorRunId ?? null)}\t${r.flags?.length ? copyText(JSON.stringify(r.flags)) : EMPTY_LIST}`;
}

function keyOf(input: unknown): string | null {
  const i = input as { sourceSystem?: unknown; externalId?: unknown };
  return typeof i?.sourceSystem === 'string' && typeof i.externalId === 'string' ? `${i.sourceSystem}\u0000${i.externalId}` : null;
}

/** Whether `time` (an instant as written) is before `than` (as a COPY field holds it); false when either is missing or unreadable. */
function olderThan(time: string | null | undefined, than: string | null | undefined): boolean {
  if (!time || !than) return false;
  const a = Date.parse(time);
  const b = Date.parse(than);
  return Number.isFinite(a) && Number.isFinite(b) && a < b;
}

/**
 * Where the records of a chunk were that the upsert left out (`written`: the rows it returned) because the copy stored
 * is newer ({@link IngestOptions.keepNewerStored}); the others it left out are unchanged.
 */
async function olderThanStored(
  client: PoolClient, chunk: readonly PreparedRecord[], written: ReadonlyArray<{ source_system: string; external_id: string }>,
): Promise<string[]> {
  const done = new Set(written.map((r) => `${r.source_system}\u0000${r.external_id}`));
  const left = chunk.filter((r) => !done.has(r.key));
  const bySystem = new Map<string, PreparedRecord[]>();
  for (const r of left) {
    const system = r.key.slice(0, r.key.indexOf('\u0000'));
    bySystem.set(system, [...(bySystem.get(system) ?? []), r]);
  }
  const out: string[] = [];
  for (const [system, records] of bySystem) {
    const fields = records.map((r) => decodeCopyFields(r.fields));
    const ids = records.map((r) => r.key.slice(system.length + 1));
    const older = new Set((await client.query<{ external_id: string }>(OLDER_THAN_STORED_SQL, [
      system, ids, fields.map((f) => f[CONTENT_HASH_FIELD] ?? null), fields.map((f) => f[SOURCE_UPDATED_AT_FIELD] ?? null),
    ])).rows.map((r) => r.external_id));
    records.forEach((r, i) => {
      if (older.has(ids[i]!)) out.push(r.location ?? `record ${r.index + 1}`);
    });
  }
  return out;
}

/** Each child's records, by id, with the identity number each carries now and its sex, birth date and name. */
async function recordsOfChildren(client: PoolClient, childIds: readonly string[]): Promise<Map<string, Map<string, Demographics & { number: string | null }>>> {
  const out = new Map<string, Map<string, Demographics & { number: string | null }>>();
  const { rows } = await client.query<{ id: string; child_id: string; identity_number: string | null; sex: string | null; birth_date: string | null;
    birth_date_precision: string | null; birth_date_estimated: boolean | null; name_folded: string | null }>(
    `SELECT id, child_id, identity_number, sex, birth_date::text AS birth_date, birth_date_precision, birth_date_estimated, name_folded
       FROM source_record WHERE child_id = ANY($1::text[])`, [childIds]);
  for (const r of rows) {
    const records = out.get(r.child_id) ?? new Map<string, Demographics & { number: string | null }>();
    records.set(r.id, {
      number: r.identity_number, sex: r.sex, birthDate: r.birth_date, precision: r.birth_date_precision, estimated: r.birth_date_estimated === true, nameFolded: r.name_folded,
    });
    out.set(r.child_id, records);
  }
  return out;
}

/** Whether two records read as one child by their demographics: the same given name, and birth dates that do not differ. */
function sameChild(r: Demographics, o: Demographics): boolean {
  const given = givenOf(r.nameFolded);
  return !!given && given === givenOf(o.nameFolded) && sameBirth(r, o) !== false;
}

/**
 * Flags records {@link NUMBER_HELD_BY_ANOTHER_CHILD} (once: a record flagged so already keeps its one flag), naming the
 * other child carrying the number (an id, for a steward to open: QA, the flag did not say which child held it).
 */
async function flagNumbersHeld(client: PoolClient, records: ReadonlyArray<{ id: string; heldBy: string | null }>): Promise<void> {
  if (records.length === 0) return;
  await client.query(
    `UPDATE source_record s SET flags = s.flags || jsonb_build_array(jsonb_build_object('field', 'identityNumber', 'code', $3::text,
            'message', $4::text || CASE WHEN u.held_by IS NOT NULL THEN ' (the other child: ' || u.held_by || ')' ELSE '' END))
       FROM unnest($1::text[], $2::text[]) AS u(id, held_by)
      WHERE s.id = u.id AND NOT s.flags @> jsonb_build_array(jsonb_build_object('code', $3::text))`,
    [records.map((r) => r.id), records.map((r) => r.heldBy), NUMBER_HELD_BY_ANOTHER_CHILD, NUMBER_HELD_MESSAGE],
  );
}

/**
 * Judges again, for each of `numbers` some record of the batch no longer carries, which records it keeps apart: the
 * child of the earliest linked record carrying the number holds it; every record of another child carrying it is
 * flagged {@link NUMBER_HELD_BY_ANOTHER_CHILD}, naming that child, and the holder's records are not. QA: the record
 * kept apart stayed flagged as mistyped after the other record's number was corrected away, though it was the number's
 * true owner; a record left in a child whose other record had left with its corrected number carried another child's
 * number unflagged; a flag named a child that no longer carried the number.
 */
async function reflagNumbers(client: PoolClient, numbers: readonly string[]): Promise<void> {
  if (numbers.length === 0) return;
  await client.query(
    `WITH carriers AS (
       SELECT s.id, s.child_id, first_value(s.child_id) OVER (PARTITION BY s.identity_number ORDER BY s.linked_at NULLS LAST, s.id) AS holder,
              coalesce((SELECT jsonb_agg(f) FROM jsonb_array_elements(s.flags) AS f WHERE f->>'code' <> $2), '[]'::jsonb) AS others
         FROM source_record s WHERE s.identity_number = ANY($1::text[]) AND s.child_id IS NOT NULL
     ), judged AS (
       SELECT id, others || CASE WHEN child_id = holder THEN '[]'::jsonb
                                 ELSE jsonb_build_array(jsonb_build_object('field', 'identityNumber', 'code', $2::text,
                                        'message', $3::text || ' (the other child: ' || holder || ')')) END AS flags
         FROM carriers
     )
     UPDATE source_record s SET flags = j.flags FROM judged j WHERE s.id = j.id AND s.flags IS DISTINCT FROM j.flags`,
    [numbers, NUMBER_HELD_BY_ANOTHER_CHILD, NUMBER_HELD_MESSAGE],
  );
}
