import { ArgsType, Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { FailedRunAttempt } from './connector-run-attempt.type.js';

export enum ConnectorDefinitionStatusEnum {
  VALID = 'VALID',
  INVALID = 'INVALID',
  REMOVED = 'REMOVED',
}
registerEnumType(ConnectorDefinitionStatusEnum, {
  name: 'ConnectorDefinitionStatus',
  description: 'Whether a connector\'s definition file, as it is now, can be run.',
  valuesConfig: {
    VALID: { description: 'The file validates: the connector is scheduled (when enabled) and can be synced.' },
    INVALID: {
      description: 'The file does not validate (see definitionProblems): the connector is neither scheduled nor synced until it is fixed. '
        + 'Its run history and quarantine stay readable.',
    },
    REMOVED: { description: 'No definition file in the gateway\'s connectors directory (CONNECTORS_DIR): removed, or defined only in another process\'s directory. Known from its runs, whose history and quarantine stay readable.' },
  },
});

@ObjectType({ description: 'One thing wrong with a connector definition: where in its file, and why. Never a value found in the file.' })
export class DefinitionProblem {
  @Field(() => String, { description: 'The path inside the definition (`http.pagination.limit`), `(yaml)` for a file that does not parse, `(definition)` for the whole.' })
  path!: string;

  @Field(() => Int, { nullable: true, description: 'Line in the file, from 1, where known.' })
  line!: number | null;

  @Field(() => Int, { nullable: true, description: 'Column in the line, from 1, where known.' })
  column!: number | null;

  @Field(() => String, { description: 'What the schema expected there.' })
  message!: string;
}

@ObjectType({
  description: 'A connector to an agency system, defined in `connectors/<name>/connector.yaml`. Every connector folder is listed, valid or not '
    + '(definitionStatus), and so is a connector removed since it last ran.',
})
export class Connector {
  @Field(() => String, { description: 'The connector\'s name (its folder).' })
  name!: string;

  @Field(() => ConnectorDefinitionStatusEnum, { description: 'Whether its definition file, as it is now, validates (VALID), does not (INVALID), or is gone (REMOVED).' })
  definitionStatus!: ConnectorDefinitionStatusEnum;

  @Field(() => [DefinitionProblem], { description: 'What is wrong with an INVALID definition, each with its place in the file; empty otherwise.' })
  definitionProblems!: DefinitionProblem[];

  @Field(() => String, {
    description: '`http` (JSON API) or `file` (CSV/XLSX drops). For an INVALID or REMOVED definition: as it was when the connector last ran, '
      + 'otherwise as the file says (or `unknown` when it does not say).',
  })
  kind!: string;

  @Field(() => String, { description: 'The agency system its records come from (INVALID or REMOVED: as for kind).' })
  sourceSystem!: string;

  @Field(() => String, { description: 'What the source is (INVALID or REMOVED: as for kind; the name when nothing says).' })
  title!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Cron schedule (Asia/Ho_Chi_Minh) as the definition says, or null when synced on demand only, or when the definition is INVALID '
      + 'or REMOVED (not scheduled). Only an enabled connector\'s schedule runs.',
  })
  schedule!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'When the whole source is read from its first page to find the records it no longer returns (`removals.fullReadSchedule`, cron, '
      + 'Asia/Ho_Chi_Minh), or null when only the first read and forced reads look (or the connector does not look for removals, or its definition is INVALID or REMOVED).',
  })
  fullReadSchedule!: string | null;

  @Field(() => Boolean, { description: 'Whether it is scheduled and can be synced: false when the definition disables it, is INVALID or is REMOVED.' })
  enabled!: boolean;

  @Field(() => String, { nullable: true, description: 'The checkpoint the next sync starts from, as JSON (page cursor, incremental high-water mark, file and row).' })
  checkpoint!: string | null;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'When the checkpoint last changed. A run that ends where it began (nothing new read) leaves it as it was, though its batches\' '
      + 'positions move it while it reads; null when it never changed (a file connector keeps no checkpoint between runs). When new data '
      + 'last came: lastNewDataAt.',
  })
  checkpointAt!: Date | null;

  /** Resolved by the connector resolver. */
  lastRun?: ConnectorRun | null;

  /** Resolved by the connector resolver. */
  currentRun?: ConnectorRun | null;

  /** Resolved by the connector resolver. */
  lastSucceededRun?: ConnectorRun | null;

  /** Resolved by the connector resolver. */
  openRejects?: number;

  /** Resolved by the connector resolver. */
  lastNewDataAt?: Date | null;

  /** Resolved by the connector resolver. */
  lastFileIngestedAt?: Date | null;
}

export enum ConnectorRunStatusEnum {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  RETRYING = 'RETRYING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
registerEnumType(ConnectorRunStatusEnum, {
  name: 'ConnectorRunStatus',
  description: 'A run\'s status, to filter runs by (`connectorRuns(status: …)`; ConnectorRun.status says what each means).',
});

@ObjectType({ description: 'An error that ended a run: a stable code and a message without personal data.' })
export class RunError {
  @Field(() => String)
  code!: string;

  @Field(() => String)
  message!: string;
}

@ObjectType({
  description: 'A file of the drop directory that a run refused whole: not ingested, and read again on every sync until it is replaced or removed '
    + '(unless `ingestedBefore`).',
})
export class RefusedFile {
  @Field(() => String, { description: 'The file\'s name in the drop directory.' })
  fileName!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The SHA-256 of the file\'s bytes as `sha256sum` prints it (hex), to find in the drop directory a file whose name is withheld '
      + '(`sha256sum <drop directory>/*`). Null when the file could not be read to take it (CONNECTOR_FILE_PERMISSION_DENIED, '
      + 'CONNECTOR_FILE_NOT_A_FILE, CONNECTOR_FILE_NAME_INVALID, CONNECTOR_FILE_IO_ERROR).',
  })
  checksum?: string | null;

  @Field(() => String, { description: 'Why: for what it holds, CONNECTOR_FILE_ENCODING, CONNECTOR_FILE_FORMAT, CONNECTOR_FILE_HEADERS or CONNECTOR_FILE_SHEET_NOT_FOUND; because it cannot be opened or read, CONNECTOR_FILE_PERMISSION_DENIED (the hub\'s user may not read it), CONNECTOR_FILE_NOT_A_FILE (a directory or named pipe matching the pattern, or a link to outside the drop directory), CONNECTOR_FILE_NAME_INVALID (a name that is not UTF-8 or holds a control character, told escaped) or CONNECTOR_FILE_IO_ERROR (the disk or network share failed).' })
  code!: string;

  @Field(() => String, { description: 'What was wrong (where decoding failed, which header, which sheet, which system error) and what to do, as a run\'s error is kept: whole for an encoding refusal or a file that cannot be read, quoted and parenthesised fragments (header or sheet text) removed otherwise: never the file\'s content.' })
  message!: string;

  @Field(() => Boolean, {
    description: 'The connector had ingested these very bytes before, and this forced read refused them (a definition edited since, a '
      + 'stricter rule): a plain sync skips the file as ingested, and the records stored from it stay as they were read; only a forced sync '
      + 'tries it again. False for runs before the hub told this.',
  })
  ingestedBefore!: boolean;
}

@ObjectType({
  description: 'What a full read of an HTTP connector with `removals` found of the records its source no longer returns; for a file '
    + 'connector whose mapping has `wholeLists`, what the run\'s files found of the records their lists no longer hold (summed over the files). '
    + 'A record is never deleted: it is marked absent (SourceRecord.absentFromSourceSince) and unmarked when a read returns it again.',
})
export class RunRemovals {
  @Field(() => Int, {
    description: 'Records stored when the read began, those marked absent then included: what the read was compared with. The source '
      + 'system\'s records; when another connector defined now feeds the same system, only those last stored by this connector\'s runs. '
      + 'With `wholeLists`: the records of the lists the files held, per file.',
  })
  stored!: number;

  @Field(() => Int, { description: 'Records the read did not return, marked absent by this run.' })
  marked!: number;

  @Field(() => Int, {
    description: 'Records marked absent when the read began that are not any more: returned by this read, unchanged or changed (a changed '
      + 'one is also counted in `updated`), or, rarely, written meanwhile by another connector feeding the same system.',
  })
  returned!: number;

  @Field(() => Int, { description: 'Records the read did not return but did not mark, for `heldReason`.' })
  held!: number;

  @Field(() => String, {
    nullable: true,
    description: 'Why nothing was marked: OVER_MAX_SHARE (more of the records the source still had, stored and not marked absent when the '
      + 'read began, went unread than the definition\'s removals.maxShare allows: a source answering with part of its data, a changed filter; '
      + 'check the source, then raise maxShare if they are really gone) or '
      + 'UNIDENTIFIED_REJECTS (the read quarantined records whose id could not be read, any of which may be one of the unread). Null when not held.',
  })
  heldReason!: string | null;

  @Field(() => Int, { description: 'Records of the source marked absent once the run was done: this run\'s, and earlier runs\' still not returned.' })
  absent!: number;

  @Field(() => Int, {
    description: 'The connector\'s open quarantined records (RejectedRecord) this read did not meet again, closed by it as NOT_SENT_AGAIN: '
      + 'its source sent neither their external id nor, without one, their payload. None when the read was held for OVER_MAX_SHARE, for a '
      + 'file connector\'s `wholeLists`, and for runs before the hub closed them.',
  })
  rejectsClosed!: number;
}

@ObjectType({
  description: 'A record a full read of its connector no longer found in the source (connectors with `removals`), or a later file no longer '
    + 'listed (`wholeLists`), still marked: which record, '
    + 'since when, and the run that marked it. Ids only: the record itself (SourceRecord, on its child) is read with the child\'s roles.',
})
export class AbsentRecord {
  @Field(() => ID, { description: 'The source record (`src_…`).' })
  recordId!: string;

  @Field(() => String, { description: 'The record\'s id in its source system.' })
  externalId!: string;

  @Field(() => ID, { nullable: true, description: 'The child (`chd_…`) the record is linked to.' })
  childId!: string | null;

  @Field(() => GraphQLISODateTime, { description: 'Since when the source has not returned it (the run that first found it gone).' })
  absentFromSourceSince!: Date;

  @Field(() => ID, { description: 'The run that marked it (see its `removals`).' })
  markedByRunId!: string;
}

@ObjectType({ description: 'One sync of a connector: when, how far, and what it did with the records.' })
export class ConnectorRun {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  connector!: string;

  @Field(() => String, { description: 'SCHEDULE, CLI, API or DEMO.' })
  trigger!: string;

  @Field(() => String, {
    description: 'QUEUED, RUNNING, RETRYING, SUCCEEDED or FAILED. RETRYING: an attempt failed and its job tries again (nextAttemptAt; the attempt\'s '
      + 'error is the last of failedAttempts), resuming from the checkpoint; not an end. A run ends SUCCEEDED, or FAILED once no attempt is left '
      + 'or the error is one no retry fixes (error). A file sync that refused files of its drop directory ends FAILED (CONNECTOR_FILES_REFUSED) '
      + 'with its other files read: see filesRefused.',
  })
  status!: string;

  @Field(() => String, { nullable: true, description: 'Who asked for it (officer id, else the subject of their token; `cli`, `schedule`).' })
  requestedBy!: string | null;

  @Field(() => GraphQLISODateTime)
  queuedAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  startedAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: "The run's last sign of life: each stored batch, and a beat every sixth of CONNECTOR_STALL_MS while it runs (also while it waits on the source). A RUNNING run whose heartbeat is older than CONNECTOR_STALL_MS was left by a process that stopped or froze: a worker's run resumes from its checkpoint when the queue gives its job out again; a CLI sync's (`--in-process`, no job) is closed as interrupted by the connector's next sync, which goes on from its checkpoint." })
  heartbeatAt!: Date | null;

  @Field(() => Int, { description: 'Pages or file chunks stored.' })
  batches!: number;

  @Field(() => Int, { description: 'Records read from the source.' })
  fetched!: number;

  @Field(() => Int, { description: 'New source records.' })
  inserted!: number;

  @Field(() => Int, { description: 'Changed source records (golden records recomputed).' })
  updated!: number;

  @Field(() => Int, { description: 'Records whose content hash matched: skipped.' })
  unchanged!: number;

  @Field(() => Int, { description: 'Records quarantined with their reasons (see rejectedRecords).' })
  rejected!: number;

  @Field(() => Int)
  filesIngested!: number;

  @Field(() => Int, { description: 'Files skipped because the same checksum was ingested before.' })
  filesSkipped!: number;

  @Field(() => Int, { description: 'Files of the drop directory left for a later sync because they were modified less than the definition\'s file.settleSeconds ago (still being copied in): neither read nor refused.' })
  filesWaiting!: number;

  @Field(() => Int, {
    description: 'Copies of a record whose id came earlier in this run with other content: a file listing an id twice, or two files of '
      + 'one drop that overlap. Each replaced the earlier copy (the later one is kept, as a later line corrects an earlier one) and the '
      + 'kept record carries a REPEATED_ID flag naming where it was (SourceRecord.flags); the worker log lists the rows. Not a count of '
      + 'its own records: the copies are in fetched and the other counts as always (an earlier copy replaced within one chunk counts as '
      + 'unchanged, a later chunk\'s or file\'s copy as updated). The same content twice is not counted. HTTP sources count repeats within '
      + 'a page only: a record read again on a later page is simply its newer copy.',
  })
  repeatedIds!: number;

  @Field(() => [RefusedFile], { description: 'Files of the drop directory refused whole by this run, each with its error.' })
  filesRefused!: RefusedFile[];

  @Field(() => Int, { description: 'Times the run was taken up again from its checkpoint: after its worker stopped, or by its job\'s retry after an error such as the database restarting.' })
  resumed!: number;

  @Field(() => String, { nullable: true, description: 'Checkpoint after the last stored batch, as JSON.' })
  checkpoint!: string | null;

  @Field(() => RunError, { nullable: true, description: 'Why the run ended FAILED; null otherwise (a RETRYING run\'s last error is in failedAttempts).' })
  error!: RunError | null;

  @Field(() => Int, { nullable: true, description: 'Attempts its job is allowed (null: a sync run outside the queue, `--in-process`).' })
  maxAttempts!: number | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'While RETRYING: when its job\'s next attempt is due.' })
  nextAttemptAt!: Date | null;

  @Field(() => [FailedRunAttempt], { description: 'Its failed attempts, oldest first; a FAILED run\'s last is its error (an attempt refused before it read anything, '
    + 'as for a connector disabled or unknown, included), except for a run the queue lost (CONNECTOR_RUN_LOST), which no attempt ended. '
    + 'Kept when a later attempt succeeds.' })
  failedAttempts!: FailedRunAttempt[];

  @Field(() => RunRemovals, {
    nullable: true,
    description: 'Records gone from the source, for a connector with `removals`: set by a run that read the whole source from its beginning '
      + '(its first read, a read of a source without `http.incremental`, a forced read) and finished. Null otherwise: an incremental read '
      + 'cannot tell a record gone from one unchanged. For a file connector with `wholeLists`: set by a run whose files marked or unmarked '
      + 'records of their lists, or held back.',
  })
  removals!: RunRemovals | null;

  @Field(() => Boolean, {
    description: 'Whether the run read everything again, as `connectors sync --force` does: files even when their checksum was ingested '
      + 'before, an HTTP source from its beginning. Asked for (force), or decided by the sync when the mapping changed (mappingChanged).',
  })
  forced!: boolean;

  @Field(() => Boolean, {
    description: 'Whether the sync read the whole source again because the mapping changed since the stored records were read (the '
      + 'definition\'s records section edited, or the hub\'s mapping rules changed by an upgrade), or was not known: an incremental read '
      + 'or a drop of new files would never have re-read the others. Records it rewrote with the new mapping count as updated, once.',
  })
  mappingChanged!: boolean;
}

@ObjectType({ description: 'Why a field of a record was refused: the field, a stable code, and a message about the value\'s kind (never the value).' })
export class RecordProblem {
  @Field(() => String, {
    description: 'The field (`birthDate`, `groups[0].until`, `projections.disability[0].type`, …), or the record as a whole (`(record)`, `(row)`, '
      + '`raw`); `(withheld)` standing for reasons left out, on a record with no other reason to show.',
  })
  field!: string;

  @Field(() => String, { description: 'Stable code (`INVALID_DATE`, `REQUIRED`, …); WITHHELD standing for reasons left out, on a record with no other reason to show.' })
  code!: string;

  @Field(() => String)
  message!: string;
}

export enum RejectResolutionEnum {
  STORED = 'STORED',
  SUPERSEDED = 'SUPERSEDED',
  DISMISSED = 'DISMISSED',
  NOT_SENT_AGAIN = 'NOT_SENT_AGAIN',
}
registerEnumType(RejectResolutionEnum, {
  name: 'RejectResolution',
  description: 'How a quarantined record was resolved.',
  valuesConfig: {
    STORED: { description: 'A later run stored it: the source fixed it, or sent it again as it is stored.' },
    SUPERSEDED: { description: 'A later run read it again with another payload, still invalid: that reading has a quarantined record of its own.' },
    DISMISSED: {
      description: 'Closed by hand (dismissRejectedRecords), with who and why: the source will not fix it, or it has no external id for a run to '
        + 'resolve it by. Read again with the same payload it stays dismissed (lastSeenAt, lastRunId and timesSeen still count); with another '
        + 'payload it is quarantined anew.',
    },
    NOT_SENT_AGAIN: {
      description: 'A later full read of the whole source (a connector with `removals`, whose read returned as much as removals.maxShare '
        + 'allows) did not meet it: the source sent neither its external id nor, without one, this payload. Fixed at the source (under its id, '
        + 'or, for a record without one, as a valid record the hub cannot tell it became) or removed there; resolvedByRunId names that read. '
        + 'Sent again broken, it is quarantined anew.',
    },
  },
});

@ObjectType({
  description: 'A record a connector refused and kept in quarantine, with where it came from and why. A record has one open (unresolved) '
    + 'quarantined record however often it is read unchanged; "the same record" is the same source system and external id, or, without an '
    + 'external id, the same payload.',
})
export class RejectedRecord {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  connector!: string | null;

  @Field(() => String, { nullable: true, description: 'The run that quarantined it.' })
  runId!: string | null;

  @Field(() => String)
  sourceSystem!: string;

  @Field(() => String, { nullable: true, description: 'The record\'s id in its source, when it had one.' })
  externalId!: string | null;

  @Field(() => String, { nullable: true, description: 'Where in the source it was last read: page and entry, or file (and sheet) and row.' })
  location!: string | null;

  @Field(() => [RecordProblem], {
    description: 'Why it was refused: each field, a stable code and what was wrong with the value (never the value). A reason is of the class of '
      + 'the field it names (a group\'s is PROTECTION_GROUP, a disability\'s HEALTH, a birth date\'s BASIC; the record as a whole has none): those '
      + 'of HEALTH, ADOPTION, RELIGION_ETHNICITY or PROTECTION_GROUP your roles do not grant are left out, with no sign; a record with no reason left '
      + 'to show shows one (field `(withheld)`, code WITHHELD) standing for them. BASIC, IDENTITY and PROVENANCE reasons are shown to every role that lists rejects.',
  })
  reasons!: RecordProblem[];

  @Field(() => GraphQLISODateTime)
  rejectedAt!: Date;

  @Field(() => GraphQLISODateTime, { description: 'When a run last read the record, still invalid (rejectedAt until one reads it again).' })
  lastSeenAt!: Date;

  @Field(() => String, { nullable: true, description: 'The run that last read it, still invalid.' })
  lastRunId!: string | null;

  @Field(() => Int, { description: 'How many runs read it, still invalid, while it was open or, dismissed, since (each run counts it once, as rejected).' })
  timesSeen!: number;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When it was resolved; null while open.' })
  resolvedAt!: Date | null;

  @Field(() => RejectResolutionEnum, { nullable: true, description: 'How it was resolved; null while open.' })
  resolution!: RejectResolutionEnum | null;

  @Field(() => String, { nullable: true, description: 'The run that resolved it (stored the record, or read it again otherwise); null when dismissed.' })
  resolvedByRunId!: string | null;

  @Field(() => String, { nullable: true, description: 'Who dismissed it (their officer id, as a run\'s requestedBy, else the subject of their token); null unless DISMISSED.' })
  resolvedBy!: string | null;

  /** The subject of the token that dismissed it (the note's author); null unless DISMISSED, and for dismissals before it was kept. Not exposed. */
  resolvedBySubject!: string | null;

  /** Why it was dismissed, as written (free text): released by RejectedRecordPayloadResolver.resolutionNote. */
  resolutionNote!: string | null;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'When its payload was erased: a reject resolved STORED, SUPERSEDED or NOT_SENT_AGAIN keeps the record as it arrived for REJECT_PAYLOAD_RETENTION_DAYS '
      + '(30 by default), then only its ids, location, reasons and resolution. Null while the payload is kept (always, while open or DISMISSED).',
  })
  payloadErasedAt!: Date | null;
}

@ArgsType()
export class RejectsFilterArgs {
  @Field(() => String, { nullable: true, description: 'The connector\'s name.' })
  connector!: string | null;

  @Field(() => ID, { nullable: true, description: 'The records this run quarantined or read again still invalid, whatever runs read them since.' })
  runId!: string | null;

  @Field(() => Boolean, { defaultValue: true, description: 'Only those not resolved yet (does not apply when `resolution` is given).' })
  unresolvedOnly!: boolean;

  @Field(() => RejectResolutionEnum, { nullable: true, description: 'Only those resolved this way.' })
  resolution!: RejectResolutionEnum | null;

  @Field(() => String, {
    nullable: true,
    description: 'Only those with a reason of this code (`INVALID_DATE`, …, in any letter case; not empty); with `field`, a reason of both. A reason '
      + 'left out for you matches nothing; WITHHELD finds the records shown with only that marker.',
  })
  code!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Only those with a reason about this field (`birthDate`, …; not empty). A field of a class your roles do not grant is FORBIDDEN; '
      + '`(withheld)` finds the records shown with only that marker.',
  })
  field!: string | null;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'Only those a run last read (lastSeenAt) at or after this instant: what the sources still send broken, however long ago it was first quarantined.',
  })
  since!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Only those a run last read (lastSeenAt) before this instant; after `since` when both are given.' })
  until!: Date | null;
}
