import type { DatePrecision } from '../domain/source-record-input.js';
/**
 * The contracts between the parts of a connector: a reader fetches raw records (HTTP pages, file chunks),
 * the mapper turns each raw record into a source record plus typed projections (or problems), and the sync
 * runner stores them with the reader's position in one transaction.
 */
import type { RecordLayout } from '../domain/record-layout.js';
import type { SourceRecordInput } from '../domain/source-record-input.js';
import type { RecordProblem } from '../services/ingest/source-record.validator.js';

/** An opaque, JSON-serialisable position a reader can resume from (stored as the checkpoint). */
export type ReaderPosition = Record<string, unknown>;

/** One unit of work from a reader: a page of an API or a chunk of a file. */
export interface ReadBatch {
  /** Raw records as the source gave them (a JSON object, or a file row keyed by header). */
  records: RawRecord[];
  /** The position after this batch; storing it with the batch's records makes the batch done. */
  position: ReaderPosition;
  /** Human-readable place in the source, kept with rejects: `page 3`, `khai-sinh-2026.csv rows 5001-10000`. */
  location: string;
  /** Set on the last batch of a file: the file to record as ingested in the same transaction. */
  fileCompleted?: IngestedFileInfo;
  /** Records the reader itself refused (a broken CSV row, an unparseable page entry), with the reason. */
  rejects?: ReaderReject[];
}

export interface RawRecord {
  /** The record. */
  data: Record<string, unknown>;
  /** Which record type of the definition it belongs to (file connectors: the sheet's record type). */
  recordType?: string;
  /** Where in the source (row number, page entry), for rejects. */
  location?: string;
  /**
   * The record as the source wrote it, when the reader has it (a CSV row, without its line break). With
   * `textLayout` it determines `data`: equal text under equal layout gives equal data, so a sync hashes this
   * instead of `data` as JSON (several times cheaper, which is most of what re-reading unchanged rows costs).
   * Text that differs only in how it is written (quoting, spaces in blank cells) counts as changed.
   */
  text?: string;
  /**
   * Everything besides `text` that decides `data`: for a CSV file, its header row, delimiter and quote. Its
   * `id` is a short, stable name for it (what the content hash names); a sync stores the text with it.
   */
  textLayout?: RecordLayout;
  /**
   * The token {@link TextRecogniser.recognise} gave: the record was recognised by its text as stored
   * unchanged, before it was parsed. Its `data` is parsed only if read.
   */
  known?: number;
  /** The record's content hash, when {@link TextRecogniser.recognise} computed it while reading (and did not recognise the record). */
  contentHash?: string;
  /**
   * The record's JSON as the source sent it (its UTF-8 bytes within the page), when the reader has it and
   * `data` is exactly that JSON parsed (an element of a page's records array, nothing attached): a sync
   * hashes and stores these bytes instead of `data` serialised again.
   */
  json?: Buffer;
}

/**
 * Recognises records stored unchanged by their text alone (CSV rows), so that a reader need not parse them:
 * what makes re-reading an unchanged file cheap. Given by a sync that holds what its source has stored.
 */
export interface TextRecogniser {
  /** Whether recognising is worth trying now (false: give every record parsed, as usual). */
  readonly active: boolean;
  /**
   * A token (≥ 0) when the text, under this layout and record type, is stored unchanged; else the record's
   * content hash (for the reader to pass on in {@link RawRecord.contentHash}), or null.
   */
  recognise(text: string, layout: string, recordType: string | undefined): number | string | null;
}

export interface ReaderReject {
  /** What the reader could salvage of the record (a broken row's raw text), never logged. */
  payload: unknown;
  location: string;
  problems: RecordProblem[];
  /**
   * The part of the record the reader could still read in place, when that part holds the columns its record
   * id is read from (see docs/connectors.md, "A row that cannot be parsed"): the sync takes the reject's
   * external id from it (`RecordMapper.externalIdOf`), so a later run that stores the row fixed resolves the
   * reject. Absent when the id cannot be read reliably (a broken quote may have shifted every field). Only
   * read for the id: never stored or logged.
   */
  readable?: RawRecord;
}

export interface IngestedFileInfo {
  checksum: string;
  /** The file's real name: kept in `ingested_file` (shown nowhere), unlike the label every message and log shows. */
  fileName: string;
  sizeBytes: number;
}

export interface ReadContext {
  signal?: AbortSignal;
  /** Whether a file with this SHA-256 checksum was already ingested by this connector. */
  isFileIngested?: (checksum: string) => Promise<boolean>;
  /**
   * Whether this connector ingested a file of this many bytes: when not, a file of that size cannot have been
   * ingested, and a file still being written is not read to find out.
   */
  isSizeIngested?: (sizeBytes: number) => Promise<boolean>;
  /**
   * Checksums taken before of files as the file system describes them ({@link fileStat}: device, inode, size,
   * modification and change times): a file found unchanged by all of these, whose checksum is among the files
   * ingested, is skipped without being read again. A file that will be read is always hashed afresh.
   */
  knownChecksums?: ReadonlyMap<string, string>;
  /**
   * Told once per read, after the files were checksummed, of the checksums taken (not those found in
   * {@link knownChecksums}), and of every file of the drop directory as listed (`null` when files were given by
   * name: the directory was not listed), so the sync keeps {@link knownChecksums} to the directory's files.
   */
  onChecksums?: (taken: ReadonlyArray<{ stat: string; checksum: string }>, listed: readonly string[] | null) => Promise<void>;
  /** Files given explicitly (CLI `sync --file`), instead of listing the drop directory. */
  files?: string[];
  /** Stop after this many batches (dry runs read one). */
  maxBatches?: number;
  /**
   * A dry run's sample, for readers with sheets (files): the first chunk of each sheet of the first file that
   * has rows, instead of `maxBatches`; nothing is completed. The files after it are opened (format, encoding,
   * sheets, headers) but not read, so a file a sync would refuse is refused here too. Other readers ignore it.
   */
  sampleSheets?: boolean;
  /** Notified of retries, waits and files skipped; must not carry record contents. */
  onEvent?: (event: ReaderEvent) => void;
  /** Recognises unchanged records by their text before they are parsed (readers that have their text). */
  recogniser?: TextRecogniser;
}

/** A file event's `fileName` is the name as shown (its label, `fileLabel`: a child's name or number withheld). */
export type ReaderEvent =
  | { type: 'retry'; attempt: number; status?: number; code?: string; delayMs: number; retryAfterMs?: number }
  /**
   * The files a read will consider, listed before they are checksummed (those already ingested are skipped
   * after); `waiting`: files of the drop directory left for a later read, modified too recently (`file-waiting`).
   */
  | { type: 'files-listed'; files: number; sizeBytes: number; waiting: number }
  /** A file of the drop directory modified less than `settleSeconds` ago (still being written): not read now. */
  | { type: 'file-waiting'; fileName: string; modifiedSecondsAgo: number; settleSeconds: number }
  | { type: 'file-skipped'; fileName: string; checksum: string; reason: 'ALREADY_INGESTED' }
  /** The same bytes as `sameAs`, a file of the same listing read before it (names as shown: labelled). */
  | { type: 'file-skipped'; fileName: string; checksum: string; reason: 'COPY_IN_DROP'; sameAs: string }
  | { type: 'file-started'; fileName: string; sizeBytes: number; encoding: string }
  /**
   * A sheet's (or CSV file's) header row was read: `where` names file and sheet, `recordType` is what its
   * rows are read as. The columns are the file's text (a file without a header row gives its first data
   * row here): compare them, never log them.
   */
  | { type: 'sheet-headers'; fileName: string; where: string; recordType: string | undefined; columns: readonly string[] }
  /**
   * A file of the drop directory refused whole (its encoding, format, headers or sheets, or it cannot be opened
   * or read; `code` and `message` from the error; `checksum` when it could be read): not recorded as ingested,
   * so read again next time; the read goes on with the next file.
   */
  | {
      type: 'file-refused';
      fileName: string;
      /**
       * The file's name in the drop directory, for the engineer's terminal on the server only (`connectors dry-run`):
       * never stored, logged or sent on. `fileName`, messages and locations name it by its label (`fileLabel`).
       */
      realName?: string;
      checksum?: string;
      code: string;
      message: string;
      storedMessage: string;
    }
  | { type: 'token-refreshed' }
  /** The read ended with more on offer (a cursor after too many empty pages): it did not read the whole source. */
  | { type: 'read-cut-short'; reason: 'EMPTY_PAGES' }
  /**
   * The file a stopped run was reading, to go on with from its checkpoint, is no longer in the drop directory (moved
   * away, or replaced by other bytes under its name): the directory is read afresh.
   */
  | { type: 'resume-file-gone'; fileName: string };

/** Fetches raw records from a source, resuming from a stored position. */
export interface SourceReader {
  /**
   * Reads batches starting after `position` (null: from the beginning, or from the incremental cursor a
   * completed run left). Each yielded batch's `position` resumes right after it.
   */
  read(position: ReaderPosition | null, ctx: ReadContext): AsyncIterable<ReadBatch>;
  /**
   * The position a finished run leaves for the next run (for http: the incremental high-water mark and no
   * page to resume; for files: nothing, as ingested files are remembered by checksum).
   */
  complete(last: ReaderPosition | null, previous: ReaderPosition | null): ReaderPosition | null;
  /** Checks credentials and reachability by reading the first page (or listing the directory). */
  check(ctx: ReadContext): Promise<CheckResult>;
  /**
   * Reads the settings the definition takes from the environment as a sync does, with no I/O; throws the
   * configuration error a sync would fail with (a value it cannot use, a secret not set), naming the variable.
   */
  settings(): void;
}

export interface CheckResult {
  ok: boolean;
  /** What was checked, in order, each with its outcome. */
  steps: Array<{ step: string; ok: boolean; detail?: string }>;
  /** Records found on the first page / in the first file (a count, never contents). */
  sampleCount?: number;
}

/** Typed facts a record carries besides the child's identity fields (see docs/connectors.md#projections). */
export interface Projections {
  healthScreening?: HealthScreeningProjection[];
  vaccination?: VaccinationProjection[];
  disability?: DisabilityProjection[];
  schoolEnrolment?: SchoolEnrolmentProjection[];
  birthRegistration?: BirthRegistrationProjection[];
  adoptionRegistration?: AdoptionRegistrationProjection[];
  placement?: PlacementProjection[];
  facility?: FacilityProjection[];
  inspection?: InspectionProjection[];
}
export type ProjectionKind = keyof Projections;
export const PROJECTION_KINDS = [
  'healthScreening', 'vaccination', 'disability', 'schoolEnrolment', 'birthRegistration', 'adoptionRegistration',
  'placement', 'facility', 'inspection',
] as const satisfies readonly ProjectionKind[];

export interface HealthScreeningProjection {
  /** ISO date. */
  screenedOn: string | null;
  /** How much of `screenedOn` is known (MONTH: its day is 01; YEAR: its month and day are 01); absent or null: the day. */
  screenedOnPrecision?: DatePrecision | null;
  /** What was screened: DEVELOPMENT, NUTRITION, HEARING, VISION, DISABILITY, NEWBORN, GENERAL. */
  kind: string;
  /** Code of the observation (LOINC or the ministry's code), as given. */
  code: string | null;
  /** The result as recorded (value and unit, or the coded text). */
  result: string | null;
  /** NORMAL, ABNORMAL or REFERRED, when the source says. */
  interpretation: string | null;
  /** Who performed it (station name or code). */
  performer: string | null;
}
export interface VaccinationProjection {
  vaccineCode: string;
  vaccineName: string | null;
  /** ISO date. */
  occurredOn: string | null;
  /** How much of `occurredOn` is known (MONTH: its day is 01; YEAR: its month and day are 01); absent or null: the day. */
  occurredOnPrecision?: DatePrecision | null;
  doseNumber: number | null;
  /** COMPLETED or NOT_DONE. */
  status: string;
  performer: string | null;
}
export interface DisabilityProjection {
  /** The disability type as coded by the source (VAN_DONG, NGHE_NOI, NHIN, THAN_KINH_TAM_THAN, TRI_TUE, KHAC). */
  type: string | null;
  /** NHE, NANG or DAC_BIET_NANG when the source says. */
  severity: string | null;
  /** ISO date of assessment or certificate. */
  assessedOn: string | null;
  /** How much of `assessedOn` is known (MONTH: its day is 01; YEAR: its month and day are 01); absent or null: the day. */
  assessedOnPrecision?: DatePrecision | null;
  /** Whether the child receives inclusive-education support (schools). */
  inclusiveEducation: boolean | null;
}
export interface SchoolEnrolmentProjection {
  studentCode: string;
  schoolYear: string | null;
  schoolCode: string | null;
  schoolName: string | null;
  /** Mầm non / Tiểu học / THCS / THPT as given. */
  level: string | null;
  grade: number | null;
  className: string | null;
  /** STUDYING or DROPPED_OUT. */
  status: string;
  inclusiveEducation: boolean;
}
export interface BirthRegistrationProjection {
  registrationNumber: string;
  book: string | null;
  /** ISO date. */
  registeredOn: string | null;
  /** How much of `registeredOn` is known (MONTH: its day is 01; YEAR: its month and day are 01); absent or null: the day. */
  registeredOnPrecision?: DatePrecision | null;
  registeredAt: string | null;
  communeCode: string | null;
  fatherName: string | null;
  motherName: string | null;
  declarantName: string | null;
  declarantRelation: string | null;
  note: string | null;
}
export interface AdoptionRegistrationProjection {
  registrationNumber: string;
  book: string | null;
  registeredOn: string | null;
  /** How much of `registeredOn` is known (MONTH: its day is 01; YEAR: its month and day are 01); absent or null: the day. */
  registeredOnPrecision?: DatePrecision | null;
  registeredAt: string | null;
  certificateNumber: string | null;
  adoptiveFatherName: string | null;
  adoptiveMotherName: string | null;
  /** The person or institution giving the child for adoption. */
  givenBy: string | null;
  /** The child's circumstance before adoption, as written. */
  priorCircumstance: string | null;
  childConsent: boolean | null;
}
export interface PlacementProjection {
  facilityCode: string;
  /** ISO date the child was taken in, when known. */
  startedOn: string | null;
  /** How much of `startedOn` is known (MONTH: its day is 01; YEAR: its month and day are 01); absent or null: the day. */
  startedOnPrecision?: DatePrecision | null;
  /** The circumstance that brought the child in, as written. */
  reason: string | null;
  /** ISO date the child was seen there (the inspection date). */
  seenOn: string | null;
  /** How much of `seenOn` is known (MONTH: its day is 01; YEAR: its month and day are 01); absent or null: the day. */
  seenOnPrecision?: DatePrecision | null;
  inspectionReportNumber: string | null;
}
export interface FacilityProjection {
  code: string;
  name: string;
  /** RELIGIOUS, PUBLIC_SOCIAL_ASSISTANCE, PRIVATE_SOCIAL_ASSISTANCE, OTHER */
  type: string;
  communeCode: string | null;
  /** LICENSED, REGISTERED, NONE, UNKNOWN */
  licenceStatus: string;
  licenceNumber: string | null;
  capacity: number | null;
}
export interface InspectionProjection {
  facilityCode: string;
  reportNumber: string;
  inspectedOn: string;
  /** How much of `inspectedOn` is known (MONTH: its day is 01; YEAR: its month and day are 01); absent or null: the day. */
  inspectedOnPrecision?: DatePrecision | null;
  inspectingUnit: string | null;
  findings: string | null;
  childrenPresent: number | null;
}

/** A value the mapping kept as given because it could not be resolved (not a rejection). */
export interface MappingFlag {
  field: string;
  code: string;
  message: string;
}

/** What the mapper makes of one raw record. */
export type MappedRecord =
  | {
      ok: true;
      /** `child`: a record about a child (source_record); `facility`: only projections (facility, inspection). */
      type: 'child' | 'facility';
      /** For child records, the source record to ingest (sourceSystem, externalId, raw and mapped fields). */
      record: SourceRecordInput | null;
      /** For facility records, the key (facility code) so repeated rows are one facility. */
      externalId: string;
      projections: Projections;
      flags: MappingFlag[];
    }
  | { ok: false; externalId: string | null; problems: RecordProblem[] };
