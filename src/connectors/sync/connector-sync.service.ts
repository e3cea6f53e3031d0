import { hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PoolClient } from 'pg';
import type { Logger } from 'pino';
import { newId } from '../../db/ids.js';
import type { Sql } from '../../db/sql.js';
import { unavailableDependency } from '../../errors/unavailable-dependency.js';
import { WorkerStoppingError } from './worker-stopping.error.js';
import { loggedOutcome, serializeError } from '../../observability/logger.js';
import { describeUnreadPaths, headersWarning, idJoinBarePaths, optionalPathsOf, pathsNoRecordHas, sparseReadingsNoRecordHas } from '../mapping/mapping-columns.js';
import type { IngestItem, IngestService, PreparedIngest, QuarantinedRecord, StoredRow, StoredRows } from '../../services/ingest/ingest.service.js';
import { rejectLocation } from '../../services/ingest/reject-location.js';
import { yieldIfBusy } from '../../services/ingest/yield.js';
import { normalizeSourceRecord } from '../../services/ingest/source-record.normalizer.js';
import { validateSourceRecord, type RecordProblem } from '../../services/ingest/source-record.validator.js';
import type { EncodedProjections, ProjectionWriter } from '../../services/projections/projection.writer.js';
import { asRecordProblems, type ProjectionProblem } from '../../services/projections/invalid-projection.error.js';
import { writeOutbox, OUTBOX_TOPICS } from '../../services/outbox/outbox.writer.js';
import { ConnectorNotFoundError } from '../definition/connector-not-found.error.js';
import { MissingSettingError, SettingInvalidError } from '../definition/env-ref.js';
import { logInvalidDefinition, type ConnectorCatalog, type LoadedConnector } from '../definition/connector-catalog.js';
import { compileRecordMapper, type RecordMapper } from '../mapping/record-mapper.js';
import type { CheckResult, Projections, RawRecord, ReadBatch, ReaderEvent, ReaderPosition, TextRecogniser } from '../types.js';
import { highWaterOf } from '../http/http-position.js';
import { ConnectorDisabledError } from './connector-disabled.error.js';
import { FilesRefusedError, type RefusedFile } from './files-refused.error.js';
import { FileAccessError } from '../file/errors/file-access.error.js';
import { KnownRecords } from './known-records.js';
import { KnownRecordsHandover } from './known-records-handover.js';
import { markRemovals, removalsBaseline, type RunRemovals } from './removals.js';
import { addToRunRemovals, applyWholeLists, rememberListed, wholeListsOf, wholeListTypes, type ChunkListed } from './whole-lists.js';
import { OpenRejects } from './open-rejects.js';
import { RecordIdsChangedError } from './record-ids-changed.error.js';
import { MappingUnreadError } from './mapping-unread.error.js';
import { givenMask, MappingNarrowerError, narrowerLoss, notMappedMask, siblingsOf, type NarrowerJudging } from './narrower-rewrite.js';
import { fileReread, mappingChange, NO_RECORDS_MAPPING, PENDING_FORCED_FILE_READ_SQL, RECORDS_MAPPING_SQL, type RecordsMapping } from './forced-read.js';
import { FEW_RECORDS_FOR_PATH_CHECK, pathsToRecord, recordedPaths, unreadLoss, type MappedChild, type SparseJudging } from './unread-loss.js';
import { keepRecordIdHashes, recordIdHashes, recordIdsChange } from './record-ids.js';
import { rekeyRecords, type RekeyResult } from './record-rekey.js';
import { isPermanentSyncError } from './permanent-sync-errors.js';
import { createReader } from './reader-factory.js';
import { fileLabel } from '../file/file-label.js';
import { SyncAlreadyRunningError } from './sync-already-running.error.js';
import { SyncLockLostError } from './sync-lock-lost.error.js';

export type SyncTrigger = 'SCHEDULE' | 'CLI' | 'API' | 'DEMO';

/** `requestedBy` of the forced reads `removals.fullReadSchedule` runs (and of an owed one made up later). */
export const FULL_READ_REQUESTER = 'full-read';

/** The id of the connector's ($1, by name) latest full read ($2: {@link FULL_READ_REQUESTER}). */
const LAST_FULL_READ_SQL = `SELECT r.id FROM connector_run r JOIN connector c ON c.id = r.connector_id
   WHERE c.name = $1 AND r.requested_by = $2 ORDER BY r.created_at DESC LIMIT 1`;

export interface SyncRequest {
  trigger: SyncTrigger;
  /** Files to read instead of listing the drop directory (file connectors). */
  files?: string[];
  /**
   * Read everything again: files even when their checksum was ingested before; an HTTP source from the
   * beginning, its high-water mark and any interrupted run's checkpoint set aside. Unchanged records are
   * still skipped.
   */
  force?: boolean;
  /**
   * Set by the sync itself, not asked for: the mapping changed since the stored records were read, so this run
   * reads everything again as a forced one does ({@link mappingChange}).
   */
  mappingChanged?: boolean;
  /** Who asked (officer id or `cli`), kept on the run. */
  requestedBy?: string | null;
}

/** Counts of a run so far. */
export interface RunCounts {
  batches: number;
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  filesIngested: number;
  filesSkipped: number;
  /** Files of the drop directory left for a later sync: modified too recently (`file.settleSeconds`), still being written. */
  filesWaiting: number;
  /**
   * Copies of a record whose id came earlier in the run with other content (a file listing an id twice, two files of one drop
   * that overlap): each replaced the earlier copy, and the kept record is flagged `REPEATED_ID`. Already among the other counts.
   */
  repeatedIds: number;
}

export interface SyncProgress extends RunCounts {
  runId: string;
  connector: string;
  /** Where the last stored batch came from (`page 12`, `khai-sinh.csv rows 5001-10000`). */
  location: string;
}

export interface RunSummary extends RunCounts {
  runId: string;
  connector: string;
  status: 'SUCCEEDED' | 'FAILED' | 'SKIPPED';
  /** Set when the run read the whole source again because the connector's mapping changed since its records were read. */
  mappingChanged?: true;
  /** Set when the run picked up where a killed worker's run stopped. */
  resumed: boolean;
  durationMs: number;
  error?: { code: string; message: string };
  /**
   * What a full read of a connector with `removals` found of the records its source no longer returns; absent
   * when the run did not look (see {@link ConnectorSyncService.execute}).
   */
  removals?: RunRemovals;
  /**
   * With files waiting (`filesWaiting`): how long until the first of them has settled, in ms, when a sync
   * would read it if nothing writes it meanwhile. The worker queues that sync (see connectorSyncProcessor),
   * which queues the next for the files still waiting then.
   */
  settlesInMs?: number;
  /** With files waiting: their names as run history shows them (labelled), for the one who ran the sync. */
  waitingFiles?: string[];
}

/** Longest wait a waiting file asks of a follow-up sync: a modification time days ahead is a wrong clock, not a plan. */
const MAX_SETTLE_WAIT_MS = 24 * 60 * 60 * 1000;

export interface RunOptions {
  /** Run this queued run (its id came with the job); otherwise a new run is created. */
  runId?: string;
  /**
   * For a scheduled sync: when its schedule fired (ms since the epoch). A run of the connector that started
   * since then and did not fail served it, and this one is SKIPPED. Kept on the run it creates (`options.scheduledAt`).
   */
  scheduledAt?: number;
  onProgress?: (p: SyncProgress) => void | Promise<void>;
  signal?: AbortSignal;
  /**
   * The caller tells a person about a failed run itself (the CLI's `--in-process`): it is given the run, its
   * counts and its error before the error is thrown, and the service logs the failure at debug level instead
   * of warn, so the person reads it once.
   */
  onFailed?: (failure: FailedRun) => void;
  /**
   * The queue's job this attempt of the sync is (the worker's): a failure the job will try again leaves the run
   * RETRYING, not FAILED. None (the CLI's `--in-process`): a failure is the run's end.
   */
  job?: SyncJobAttempt;
  /**
   * Whose environment the definition's `{ env: … }` settings are read from, when it is not the caller's own:
   * the worker passes `the worker's environment (…)`, so that a variable missing there is not looked for in the
   * shell that queued the sync. Named in CONNECTOR_SECRET_MISSING and CONNECTOR_SETTING_MISSING. @defaultValue unnamed (this process's)
   */
  environment?: string;
}

/** One attempt of the `connector-sync` job that runs a sync (see {@link RunOptions.job}). */
export interface SyncJobAttempt {
  /** The job's id in the queue: kept on the run, whose RETRYING state lasts as long as the queue holds it. */
  jobId: string;
  /** This attempt's number, from 1. */
  attempt: number;
  /** Attempts the job is allowed. */
  maxAttempts: number;
  /**
   * In how many ms the job tries again after `err` has failed this attempt; null when it gives up (its last attempt,
   * an error no retry fixes). Asked once, when the run is marked; the queue must then wait that long.
   */
  retryInMs(err: unknown): number | null;
}

/** A failed attempt of a run, as `connector_run.failed_attempts` keeps it (oldest first). */
export interface FailedAttempt {
  /** The job's attempt (from 1); null for a sync that ran outside the queue. */
  attempt: number | null;
  code: string;
  message: string;
  failedAt: string;
}

/** A run that failed, as {@link RunOptions.onFailed} is told of it. */
export interface FailedRun extends RunCounts {
  runId: string;
  durationMs: number;
  error: { code: string; message: string };
}

/** What a run's read tells the end of the run (recording the mapping its records were read with). */
interface RunRead {
  /** The run went on from pages read with another mapping (or one not known). */
  mixedMappings: boolean;
  /** What its pages were judged by (the paths of groups and projections some record had among them). */
  judging: SparseJudging | null;
}

export interface DryRunResult {
  connector: string;
  location: string | null;
  /** Records fetched in the first page or chunk. */
  fetched: number;
  /** What the mapping made of each record that passed validation, as it would be stored (first `limit`). */
  records: Array<{ externalId: string; recordType: string; record: unknown; projections: Projections; flags: unknown[] }>;
  /** Every record that would be quarantined, with its reasons. */
  rejects: Array<{ externalId: string | null; location: string | null; problems: RecordProblem[] }>;
  valid: number;
  /**
   * Valid records whose id came earlier in the read with other content: a sync keeps the last copy, flagged
   * `REPEATED_ID`, and counts it in the run's `repeatedIds`, as here. Each is warned of.
   */
  repeated: number;
  /** Valid records that came again as they were (the same id and content): a sync stores them once. Each is warned of; not listed in `records` again. */
  identical: number;
  /**
   * Of the records a sync would store (`valid - repeated - identical`), those stored already as they are (the same
   * content hash under their id; a facility, the same facts): a sync counts them unchanged and writes nothing for them.
   */
  unchanged: number;
  /** What the engineer should know about the source's shape: mapped columns a file lacks, or a sheet no mapping takes. */
  warnings: string[];
  /** What is as the definition says, told for the record: paths `http.optionalPaths` lists that no record of the page has. */
  notes: string[];
  /** The codes a sync would end FAILED with, as far as the dry run can tell (a file refused, the record ids changed); the CLI exits 1. */
  wouldFail: string[];
}

export interface SyncDeps {
  sql: Sql;
  ingest: IngestService;
  projections: ProjectionWriter;
  catalog: ConnectorCatalog;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  projectRoot?: string;
  /**
   * Whether the `connector-sync` job the outbox relay made of a queued run's outbox row (given its id) is still to
   * run or running: false when the queue no longer holds it (lost with a Redis that kept nothing, removed) or holds
   * it finished or failed. Asked only about runs still QUEUED whose row was relayed; may throw when Redis does not
   * answer. @defaultValue none: such a run is taken as alive (without the queue there is no telling)
   */
  syncJobAlive?: (outboxRowId: string) => Promise<boolean>;
  /**
   * Whether the `connector-sync` job of this id is still to run or running (as {@link syncJobAlive}): asked about
   * the job of a RETRYING run. May throw when Redis does not answer. @defaultValue none: taken as alive
   */
  syncJobIdAlive?: (jobId: string) => Promise<boolean>;
  /**
   * How long a running sync may go without a sign of life before {@link ConnectorSyncService.endStalledRuns} takes
   * it for stuck, in ms; a sync beats every sixth of it (config `CONNECTOR_STALL_MS`). @defaultValue 120000
   */
  stallMs?: number;
}

/** A QUEUED run as requests and a starting worker judge it, with its outbox message (none: never written). */
interface QueuedRun {
  id: string;
  outboxId: string | null;
  relayed: boolean;
}

const LOCK_NAMESPACE = 'connector-sync:';

/**
 * SQL: whether the backend `pidParam` holds the sync lock of connector `nameParam` (`pg_try_advisory_lock` of a
 * bigint key shows in `pg_locks` as its high and low 32 bits, `objsubid` 1).
 */
const lockHeld = (pidParam: string, nameParam: string) => `EXISTS (
  SELECT 1 FROM pg_locks l, (SELECT hashtextextended('${LOCK_NAMESPACE}' || ${nameParam}, 0) AS k) key
   WHERE l.locktype = 'advisory' AND l.granted AND l.pid = ${pidParam} AND l.objsubid = 1
     AND l.classid::bigint = ((key.k >> 32) & 4294967295) AND l.objid::bigint = (key.k & 4294967295))`;
/** Serialises {@link ConnectorSyncService.requestSync} per connector (a lock of its own: a sync holds LOCK_NAMESPACE for its whole run). */
const REQUEST_LOCK_NAMESPACE = 'connector-sync-request:';
/** @see SyncDeps.stallMs */
const DEFAULT_STALL_MS = 120_000;
/**
 * SQL: whether run `runParam` is RUNNING, held by backend `pidParam` of the process named `appParam`, its last
 * beat older than `msParam` ms.
 */
const stalled = (runParam: string, pidParam: string, appParam: string, msParam: string) => `EXISTS (
  SELECT 1 FROM connector_run WHERE id = ${runParam} AND status = 'RUNNING' AND lock_pid = ${pidParam} AND lock_app = ${appParam}
     AND heartbeat_at < now() - make_interval(secs => ${msParam}::float8 / 1000))`;
/**
 * SQL: whether run `runParam` is this process's to end: claimed by its backend `pidParam` under this process's
 * application name (a run claimed before the lock holder was recorded counts as its own).
 */
const ownRun = (pidParam: string) => `(lock_app IS NULL OR (lock_pid = ${pidParam} AND lock_app = current_setting('application_name')))`;
/** SQL: the assignments, in an UPDATE of connector_run, naming this process as a claimed run's holder (`pidParam`: its lock connection's backend pid). */
const holderSet = (pidParam: string) => `lock_pid = ${pidParam}, lock_app = current_setting('application_name')`;
/** The code of a QUEUED run whose job the queue lost before it started. */
const RUN_LOST = 'CONNECTOR_RUN_LOST';
/**
 * Longest wait for the queue's answer about a queued run's job, in ms: the question is asked holding the
 * connector's request lock, and a Redis that does not answer must not hold every request of the connector.
 */
const JOB_PROBE_TIMEOUT_MS = 5_000;
/**
 * Runs connectors: reads pages or file chunks from the last checkpoint, maps and validates every record,
 * and stores each batch — records, projections, quarantined rejects, the file it completes and the
 * reader's position — in one transaction. A sync killed at any point resumes from the last stored batch on
 * the next attempt, with nothing lost and nothing stored twice (unchanged records are recognised by their
 * content hash). One sync per connector at a time, enforced by a PostgreSQL advisory lock held for the run.
 */
export class ConnectorSyncService {
  constructor(private readonly deps: SyncDeps) {}

  get catalog(): ConnectorCatalog {
    return this.deps.catalog;
  }

  /**
   * Records a QUEUED run and its outbox message in one transaction; the relay turns the message into a
   * `connector-sync` job carrying only the run id.
   *
   * A run of the connector already QUEUED with the same options (`files`, `force`) is returned instead
   * (`alreadyQueued`): one sync runs per connector at a time, so a second queued run would only read the
   * whole source again right after the first, and the queued one has not read anything yet, so it picks up
   * every change made before this request. A run RUNNING does not count: it may have read its pages before
   * a change, so one follow-up is queued behind it — and, being QUEUED, takes every later request. Requests
   * of one connector are serialised by a transaction-scoped advisory lock, so two at once yield one run.
   *
   * Only a queued run that will still run is returned: one whose job the queue lost (a Redis restarted without
   * persistence, a job removed) would never start, and every later request would get it back. Such a run is
   * marked FAILED `CONNECTOR_RUN_LOST` naming the run queued in its place (see {@link queuedRunState}).
   */
  async requestSync(name: string, req: SyncRequest): Promise<{ runId: string; connectorId: string; alreadyQueued: boolean }> {
    const loaded = this.enabledConnector(name);
    const connectorId = await this.ensureConnector(loaded);
    const options = JSON.stringify(runOptions(req));
    return this.deps.sql.tx(async (client) => {
      // Held until commit. Under READ COMMITTED the look-up below takes its snapshot after the lock is granted,
      // so it sees the run a request that held the lock before committed.
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [REQUEST_LOCK_NAMESPACE + name]);
      const runId = newId('connectorRun');
      for (const queued of await this.queuedRunsOf(client, connectorId, options)) {
        if ((await this.queuedRunState(queued)) !== 'lost') return { runId: queued.id, connectorId, alreadyQueued: true };
        await this.markLost(client, queued.id, `run ${runId} was queued in its place`);
      }
      await client.query(
        `INSERT INTO connector_run (id, connector_id, trigger, status, definition_hash, options, requested_by)
         VALUES ($1, $2, $3, 'QUEUED', $4, $5, $6)`,
        [runId, connectorId, req.trigger, loaded.definitionHash, options, req.requestedBy ?? null],
      );
      await writeOutbox(client, OUTBOX_TOPICS.connectorSync, [runId]);
      return { runId, connectorId, alreadyQueued: false };
    });
  }

  /**
   * Marks FAILED `CONNECTOR_RUN_LOST` every QUEUED run whose job the queue lost (a worker calls it when it
   * starts: a Redis without persistence loses every job when it restarts, a crash the last second's), so that run history does not show
   * runs queued for ever, and every RETRYING run whose job the queue no longer holds (no attempt will come; it
   * would hold its connector for ever). A RETRYING run whose job waits for its next attempt is left as it is. They are not queued again: a request waiting since before the hub stopped (a `--force`
   * of a whole source, `--file`s long replaced) should not run unasked on a restart; the next request, or the
   * schedule, syncs the connector. A run whose outbox message is not relayed yet is alive (the relay will add its
   * job), and so is one whose job the queue cannot be asked about. Takes each connector's request lock, as
   * {@link requestSync} does. Returns the runs marked.
   */
  async failLostRuns(): Promise<string[]> {
    const stallMs = this.deps.stallMs ?? DEFAULT_STALL_MS;
    const connectors = await this.deps.sql.query<{ id: string; name: string }>(
      `SELECT DISTINCT c.id, c.name FROM connector_run r JOIN connector c ON c.id = r.connector_id
        WHERE r.status IN ('QUEUED', 'RETRYING') OR (r.status = 'RUNNING' AND r.job_id IS NOT NULL AND r.heartbeat_at < now() - make_interval(secs => $1::float8 / 1000))
        ORDER BY c.name`,
      [stallMs],
    );
    const failed: string[] = [];
    for (const c of connectors) {
      await this.deps.sql.tx(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [REQUEST_LOCK_NAMESPACE + c.name]);
        for (const queued of await this.queuedRunsOf(client, c.id)) {
          if ((await this.queuedRunState(queued)) !== 'lost') continue;
          if (await this.markLost(client, queued.id, 'request the sync again (`connectors sync`, `syncConnector`)')) failed.push(queued.id);
        }
        // A RETRYING run holds its connector until its job's next attempt: one whose job is gone would hold it for ever.
        const retrying = await client.query<{ id: string; job_id: string | null }>(
          `SELECT id, job_id FROM connector_run WHERE connector_id = $1 AND status = 'RETRYING'`, [c.id]);
        for (const r of retrying.rows) {
          if ((await this.jobState(r.id, r.job_id === null ? null : () => this.deps.syncJobIdAlive?.(r.job_id!) ?? Promise.resolve(true))) !== 'lost') continue;
          if (await this.markRetryLost(client, r.id)) failed.push(r.id);
        }
        // A RUNNING run whose process stopped (no beat for CONNECTOR_STALL_MS) resumes when the queue gives its job out
        // again; one whose job the queue lost would show RUNNING for ever (QA: a worker killed, then Redis restarted
        // without its data). Not while a sync of the connector runs: it holds the connector's lock.
        const running = await client.query<{ id: string; job_id: string }>(
          `SELECT id, job_id FROM connector_run WHERE connector_id = $1 AND status = 'RUNNING' AND job_id IS NOT NULL
              AND heartbeat_at < now() - make_interval(secs => $2::float8 / 1000)`, [c.id, stallMs]);
        for (const r of running.rows) {
          if ((await this.jobState(r.id, () => this.deps.syncJobIdAlive?.(r.job_id) ?? Promise.resolve(true))) !== 'lost') continue;
          const message = 'its process stopped and its job was lost (the queue no longer holds it: Redis restarted without persistence or after a crash, '
            + 'or the job was removed), so nothing would take it up; the next sync resumes from its checkpoint';
          if (await this.endUnheldRun(r.id, RUN_LOST, message)) failed.push(r.id);
        }
      });
    }
    if (failed.length) this.deps.logger.warn({ runIds: failed.slice(0, 20), runs: failed.length }, 'connector runs whose job was lost marked FAILED (CONNECTOR_RUN_LOST)');
    return failed;
  }

  /**
   * Ends the hold of runs whose process stopped answering: a RUNNING run whose last beat is older than
   * {@link SyncDeps.stallMs}, while the backend it recorded still holds the connector's sync lock. That process is
   * frozen (SIGSTOP, a paused host or VM) or cut off: it keeps its connections, so its lock, and maybe a
   * transaction it left open, and every other sync of the connector waited for it for ever (QA). Its connections
   * (those of its application name) are closed: its lock is released and its open transaction rolled back, so the
   * run's job, given out again by the queue, resumes the run from its last checkpoint; or, the run not queued,
   * the next sync of the connector closes it as interrupted and continues from there. The process, if it wakes,
   * finds its lock lost and stores nothing more, and leaves the run's status to whoever took it. Never this
   * process's own runs. Returns the runs whose process was cut off.
   */
  async endStalledRuns(): Promise<string[]> {
    const stallMs = this.deps.stallMs ?? DEFAULT_STALL_MS;
    const runs = await this.deps.sql.query<{ id: string; name: string; lock_pid: number; lock_app: string; silent_s: number }>(
      `SELECT r.id, c.name, r.lock_pid, r.lock_app, extract(epoch FROM now() - r.heartbeat_at)::float8 AS silent_s
         FROM connector_run r JOIN connector c ON c.id = r.connector_id
        WHERE r.status = 'RUNNING' AND r.lock_pid IS NOT NULL AND r.lock_app <> current_setting('application_name')
          AND r.heartbeat_at < now() - make_interval(secs => $1::float8 / 1000)`,
      [stallMs],
    );
    const ended: string[] = [];
    for (const r of runs) {
      // In one statement, still so when it runs: stale, and its backend holding the lock (a process that died
      // holds none: its job comes back by itself).
      const closed = await this.deps.sql.one<{ n: number }>(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(a.pid))::int AS n FROM pg_stat_activity a
          WHERE a.application_name = $3 AND a.pid <> pg_backend_pid() AND ${stalled('$1', '$2', '$3', '$4')} AND ${lockHeld('$2', '$5')}`,
        [r.id, r.lock_pid, r.lock_app, stallMs, r.name],
      );
      if (!closed?.n) continue;
      ended.push(r.id);
      this.deps.logger.warn(
        { runId: r.id, connector: r.name, silentSeconds: Math.round(r.silent_s), connectionsClosed: closed.n },
        'connector sync stalled: its process gave no sign of life, so its database connections were closed; the run resumes from its last checkpoint',
      );
    }
    return ended;
  }

  /**
   * The connector's QUEUED runs (with these options, when given), oldest first, each with its outbox message.
   * Under READ COMMITTED, read after the caller took the connector's request lock.
   */
  private async queuedRunsOf(client: PoolClient, connectorId: string, options?: string): Promise<QueuedRun[]> {
    const r = await client.query<QueuedRun>(
      `SELECT r.id, o.id AS "outboxId", coalesce(o.relayed_at IS NOT NULL, false) AS relayed
         FROM connector_run r
         LEFT JOIN LATERAL (SELECT id, relayed_at FROM outbox WHERE topic = $3 AND aggregate_id = r.id ORDER BY id DESC LIMIT 1) o ON true
        WHERE r.connector_id = $1 AND r.status = 'QUEUED' AND ($2::jsonb IS NULL OR r.options = $2::jsonb)
        ORDER BY r.id`,
      [connectorId, options ?? null, OUTBOX_TOPICS.connectorSync],
    );
    return r.rows;
  }

  /**
   * Whether a QUEUED run will still start. `alive`: its outbox message is not relayed yet (the relay adds the job
   * before it marks the message, in one transaction, so a message seen relayed had its job added), or the queue
   * holds its job to run (waiting, delayed, prioritized, active, waiting-children). `lost`: no message at all, or
   * the queue no longer holds the job to run. `unknown`: the queue could not be asked (no Redis, no answer in
   * time); taken as alive by the callers: a run is not failed on a guess.
   */
  private async queuedRunState(run: QueuedRun): Promise<'alive' | 'lost' | 'unknown'> {
    if (run.outboxId === null) return 'lost';
    if (!run.relayed || !this.deps.syncJobAlive) return 'alive';
    const outboxId = run.outboxId;
    return this.jobState(run.id, () => this.deps.syncJobAlive!(outboxId));
  }

  /** Whether the queue holds a run's job to run, asked by `alive` (null: the run has no job, so it is `lost`); see {@link queuedRunState}. */
  private async jobState(runId: string, alive: (() => Promise<boolean>) | null): Promise<'alive' | 'lost' | 'unknown'> {
    if (alive === null) return 'lost';
    let timer: NodeJS.Timeout | undefined;
    try {
      const held = await Promise.race([
        alive(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${JOB_PROBE_TIMEOUT_MS} ms`)), JOB_PROBE_TIMEOUT_MS);
        }),
      ]);
      return held ? 'alive' : 'lost';
    } catch (err) {
      this.deps.logger.warn({ runId, err: loggedOutcome(err) }, 'could not ask the queue about a run\'s job: taken as alive');
      return 'unknown';
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends a run still QUEUED whose job was lost; a run that started meanwhile (its job was not lost after all) is left. */
  private async markLost(client: PoolClient, runId: string, then: string): Promise<boolean> {
    const r = await client.query(
      `UPDATE connector_run SET status = 'FAILED', finished_at = now(), error = $2 WHERE id = $1 AND status = 'QUEUED'`,
      [runId, JSON.stringify({
        code: RUN_LOST,
        message: `its queued job was lost before it started (the queue no longer holds it: Redis restarted without persistence or after a crash, or the job was removed); nothing was read; ${then}`,
      })],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** Ends a RETRYING run whose job the queue no longer holds: no attempt will come, and it would hold its connector. */
  private async markRetryLost(client: PoolClient, runId: string): Promise<boolean> {
    const r = await client.query(
      `UPDATE connector_run SET status = 'FAILED', finished_at = now(), next_attempt_at = NULL, error = $2 WHERE id = $1 AND status = 'RETRYING'`,
      [runId, JSON.stringify({
        code: RUN_LOST,
        message: 'its job was lost while the run waited for its next attempt (the queue no longer holds it: Redis restarted without persistence or after a crash, or the job was removed); '
          + 'its failed attempts are in failedAttempts; the next sync resumes from its checkpoint',
      })],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** Runs a queued run by id (the `connector-sync` job). */
  async runQueued(runId: string, opts: Omit<RunOptions, 'runId'> = {}): Promise<RunSummary> {
    const row = await this.deps.sql.one<{ name: string; trigger: SyncTrigger; options: SyncRequest; requested_by: string | null }>(
      `SELECT c.name, r.trigger, r.options, r.requested_by FROM connector_run r JOIN connector c ON c.id = r.connector_id WHERE r.id = $1`,
      [runId],
    );
    if (!row) throw new Error(`connector run ${runId} does not exist`);
    try {
      return await this.run(row.name, { ...row.options, trigger: row.trigger, requestedBy: row.requested_by }, { ...opts, runId });
    } catch (thrown) {
      const err = thrown instanceof ConnectorNotFoundError && opts.environment ? thrown.inWorker(this.deps.catalog.dir) : thrown;
      // An error before the run was claimed (unknown or disabled connector, invalid definition) leaves it
      // QUEUED: a permanent one is recorded now, so that whoever waits for the run sees it end.
      if (isPermanentSyncError(err)) await this.failQueued(runId, err, undefined, opts.job?.attempt);
      throw err;
    }
  }

  /**
   * Marks a run that never started, or waits for its next attempt, FAILED with the error that stopped it, which is
   * also its last failed attempt (QA: a queued run refused as disabled had none) (a run neither QUEUED nor RETRYING is
   * left as it is). For errors before the run is claimed, and for a job that failed
   * its last attempt before claiming it (the database away). `jobId`: a scheduled job's RETRYING run (its data
   * names no run). `attempt`: the job's attempt that failed (null: not known, or no job).
   */
  async failQueued(runId: string | undefined, err: unknown, jobId?: string, attempt?: number): Promise<boolean> {
    const error = runError(err);
    const r = await this.deps.sql.query(
      `UPDATE connector_run SET status = 'FAILED', finished_at = now(), next_attempt_at = NULL, error = $2,
              failed_attempts = failed_attempts || jsonb_build_array($4::jsonb)
        WHERE (id = $1 OR (status = 'RETRYING' AND job_id = $3)) AND status IN ('QUEUED', 'RETRYING') RETURNING id`,
      [runId ?? null, JSON.stringify(error), jobId ?? null, JSON.stringify({ attempt: attempt ?? null, ...error, failedAt: new Date().toISOString() })],
    );
    return r.length > 0;
  }

  /**
   * A RETRYING run's next attempt failed before it could take the run up (the database away): when the one after
   * is due (`retryInMs`), and that attempt's error. `jobId`: as {@link failQueued}.
   */
  async retryPostponed(runId: string | undefined, jobId: string, attempt: number, err: unknown, retryInMs: number): Promise<boolean> {
    const r = await this.deps.sql.query(
      `UPDATE connector_run SET next_attempt_at = to_timestamp($3::float8 / 1000), failed_attempts = failed_attempts || jsonb_build_array($4::jsonb)
        WHERE (id = $1 OR job_id = $2) AND status = 'RETRYING' RETURNING id`,
      [runId ?? null, jobId, Date.now() + retryInMs, JSON.stringify({ attempt, ...runError(err), failedAt: new Date().toISOString() })],
    );
    return r.length > 0;
  }

  /**
   * Whether the connector (an incremental one with `removals`) owes a full read: a run marked owed ended, and no
   * forced read has started since and finished or is running. Marked owed are a scheduled full read that ended FAILED
   * at its job's last attempt ({@link markFullReadOwed}: the source down that night; not while the job still
   * retries, QA: every slot in between read a source that was down), and a run that finished a full read a stopped
   * process began, forced by hand or on the schedule, which could not look for records gone
   * ({@link owedAfterContinuedRead}). The next scheduled sync then reads the whole source instead of the changes, so
   * a failed weekly read is made up at the next schedule, not a week later, and a forced read cut short by a stop
   * is not left for someone to repeat by hand (QA). On a partial index of the owed runs: one probe per scheduled sync.
   */
  async fullReadOwed(name: string): Promise<boolean> {
    const loaded = this.deps.catalog.current(name, (err) => logInvalidDefinition(this.deps.logger, err));
    const d = loaded.definition;
    if (!d.enabled || !d.removals || d.kind !== 'http' || !d.http?.incremental) return false;
    const row = await this.deps.sql.one<{ owed: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM connector_run last JOIN connector c ON c.id = last.connector_id
          WHERE c.name = $1 AND last.options->>'owed' = 'true' AND last.status IN ('FAILED', 'SUCCEEDED')
            AND NOT EXISTS (SELECT 1 FROM connector_run s WHERE s.connector_id = last.connector_id AND s.created_at > last.created_at
                                AND s.status IN ('RUNNING', 'RETRYING', 'SUCCEEDED') AND s.options->>'force' = 'true')) AS owed`,
      [name],
    );
    return row?.owed ?? false;
  }

  /**
   * A full read finished by `runId` from where a stopped process left it, without looking for records gone: that
   * run is marked owed, and so is the connector's latest scheduled full read when it is the stopped one this run
   * took over (FAILED: interrupted), as before the hub owed reads forced by hand.
   */
  private async owedAfterContinuedRead(name: string, runId: string): Promise<void> {
    await this.deps.sql.query(
      `UPDATE connector_run SET options = options || '{"owed": true}'
        WHERE id = $3 OR (id = (${LAST_FULL_READ_SQL}) AND status = 'FAILED')`,
      [name, FULL_READ_REQUESTER, runId],
    );
  }

  /** A scheduled full read's job gave up (its last attempt failed, or the error is one no retry fixes): the full read is owed. */
  async markFullReadOwed(name: string): Promise<void> {
    await this.deps.sql.query(
      `UPDATE connector_run SET options = options || '{"owed": true}'
        WHERE id = (${LAST_FULL_READ_SQL}) AND status = 'FAILED'`,
      [name, FULL_READ_REQUESTER],
    );
  }

  /**
   * Ends a run the queue gave up while it is still QUEUED, RUNNING or RETRYING: its processor never saw why (the job stalled
   * more often than allowed: its workers were killed), or could not mark it (the database out of reach through
   * every attempt). FAILED, `CONNECTOR_RUN_INTERRUPTED`, so no one waits for it for ever; the message says which,
   * from the queue's own error. Not while a sync of the connector runs (it holds the connector's lock): that sync
   * adopts or closes the run itself. The connector's checkpoint is untouched; the next sync resumes from it. True
   * when the run was ended. `attempts`: how many times the queue ran the job.
   */
  async abandonRun(runId: string, err: unknown, attempts?: number): Promise<boolean> {
    const why = runError(err).message;
    const away = unavailableDependency(err);
    const tries = attempts === undefined ? '' : ` after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
    // QA: "its workers stopped under it" was said of a sync whose worker ran on while PostgreSQL was down.
    const message = away !== null
      ? `the queue gave the sync up${tries}: ${away} was out of reach (${why}); the next sync resumes from its checkpoint`
      : /stalled/i.test(why)
        ? `the queue gave the sync up${tries} (${why}): its workers stopped under it; the next sync resumes from its checkpoint`
        : `the queue gave the sync up${tries} (${why}); the next sync resumes from its checkpoint`;
    return this.endUnheldRun(runId, 'CONNECTOR_RUN_INTERRUPTED', message);
  }

  /**
   * Ends a run still QUEUED, RUNNING or RETRYING as FAILED with `code` and `message`, unless a sync of its connector
   * runs (it holds the connector's lock, and adopts or closes the run itself). The connector's checkpoint is
   * untouched. True when the run was ended.
   */
  private async endUnheldRun(runId: string, code: string, message: string): Promise<boolean> {
    const client = await this.deps.sql.pool.connect();
    try {
      const found = await client.query<{ name: string }>(
        `SELECT c.name FROM connector_run r JOIN connector c ON c.id = r.connector_id WHERE r.id = $1 AND r.status IN ('QUEUED', 'RUNNING', 'RETRYING')`, [runId]);
      const name = found.rows[0]?.name;
      if (name === undefined) return false;
      const lock = LOCK_NAMESPACE + name;
      const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [lock]);
      if (!got.rows[0]!.ok) return false;
      try {
        const ended = await client.query(
          `UPDATE connector_run SET status = 'FAILED', finished_at = now(), next_attempt_at = NULL, error = $2 WHERE id = $1 AND status IN ('QUEUED', 'RUNNING', 'RETRYING')`,
          [runId, JSON.stringify({ code, message })],
        );
        return (ended.rowCount ?? 0) > 0;
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lock]);
      }
    } finally {
      client.release();
    }
  }

  /** Runs a sync now, in this process. */
  async run(name: string, asked: SyncRequest, opts: RunOptions = {}): Promise<RunSummary> {
    let req = asked;
    const loaded = this.enabledConnector(name);
    const connectorId = await this.ensureConnector(loaded);
    const lock = await this.deps.sql.pool.connect();
    let locked = false;
    const started = Date.now();
    const log = this.deps.logger.child({ connector: name });
    // The lock lives as long as its connection. Lost (PostgreSQL restarted), it is released, and another sync
    // could start: this one stops reading at once (QA: the loss, an 'error' event, killed the worker, and the
    // run was left RUNNING until a restart).
    let lockLost: SyncLockLostError | null = null;
    const stop = new AbortController();
    const onLockError = () => {
      if (!locked || lockLost) return;
      lockLost = new SyncLockLostError(name);
      stop.abort(lockLost);
    };
    lock.on('error', onLockError);
    const runOpts: RunOptions = { ...opts, signal: opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal };
    let heartbeat: Heartbeat | undefined;
    try {
      const got = await lock.query<{ ok: boolean; pid: number }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok, pg_backend_pid() AS pid', [LOCK_NAMESPACE + name]);
      locked = got.rows[0]!.ok;
      const lockPid = got.rows[0]!.pid;
      if (!locked) throw new SyncAlreadyRunningError(name);
      // A run waiting for its job's next attempt holds the connector as a running one does (its next attempt resumes
      // it from its checkpoint): another sync now would read the same pages, and then that attempt again. Its own job
      // takes it up again, a scheduled job's retry too (by the job's id: its data names no run).
      const retrying = await this.retryingRunOf(connectorId, opts.runId, opts.job?.jobId);
      if (retrying && !retrying.own) throw new SyncAlreadyRunningError(name, { runId: retrying.id, nextAttemptAt: retrying.nextAttemptAt });
      const runId = opts.runId ?? retrying?.id;
      // Decided under the lock: a whole read another sync finished meanwhile has settled it.
      const recorded = await this.recordsMapping(connectorId, runId);
      // Record ids the stored records were not stored under: refused, whatever was asked (a forced read too), once
      // the run is claimed, so that it ends FAILED saying why (QA: every record stored again, as new children).
      const recordIds = recordIdHashes(loaded.definition.records);
      const idsChanged = await recordIdsChange(this.deps.sql.pool, connectorId, loaded.definition.sourceSystem, recordIds);
      const remapped = idsChanged ? null : mappingChange(recorded, loaded, req);
      if (remapped) req = { ...req, force: true, mappingChanged: true };
      const run = await this.claimRun(connectorId, loaded, req, runId, opts.scheduledAt, lockPid, opts.job);
      if (!run) {
        if (runId) log.info({ runId }, 'queued sync not run again: it finished already (its job was given out again)');
        else log.info({ due: new Date(opts.scheduledAt!).toISOString(), requestedBy: req.requestedBy }, 'scheduled sync skipped: a run that started after it was due did its work');
        return { runId: runId ?? '', connector: name, status: 'SKIPPED', resumed: false, durationMs: 0, ...zeroCounts() };
      }
      if (run.takesOver) {
        req = run.takesOver;
        log.info(
          { runId: run.id, files: req.files?.length ?? null, force: !!req.force },
          'this run goes on with the read another run stopped part-way, as that run asked: of the files it named, if it named some (the drop folder is read by the next sync), and, if it was forced, with files ingested before read again',
        );
      }
      const counts: RunCounts = { ...zeroCounts(), ...run.counts };
      const refused: RefusedFile[] = [];
      const waiting = { settlesInMs: Infinity, files: [] as string[] };
      log.info({ runId: run.id, trigger: req.trigger, requestedBy: req.requestedBy, force: !!req.force, resumed: run.resumed }, run.resumed ? 'connector sync resumed' : 'connector sync started');
      if (remapped) {
        // A queued run was recorded as asked; it is told, as a new one is by its options.
        if (runId) await this.deps.sql.query(`UPDATE connector_run SET options = options || '{"force": true, "mappingChanged": true}' WHERE id = $1`, [run.id]);
        log.warn(
          { runId: run.id, mappingChanged: remapped },
          remapped === 'changed'
            ? 'the mapping changed since the stored records were read (the definition\'s records section, or the hub\'s mapping rules after an upgrade): this run reads the whole source again, as a forced one, so they take the new mapping; records it rewrites count as updated, once'
            : 'the mapping the stored records were read with is not known (read before this hub recorded it, or records were stored with another mapping by a run that did not read the whole source): this run reads the whole source again, as a forced one, so they all take the current mapping; records it rewrites count as updated, once',
        );
      }
      // A sign of life while the run lasts, whatever it is doing (a batch, a wait on a source's Retry-After), on the
      // lock's own connection: a run whose beats stop is taken for stuck (endStalledRuns).
      heartbeat = startHeartbeat(lock, run.id, Math.max(100, Math.floor((this.deps.stallMs ?? DEFAULT_STALL_MS) / 6)));
      try {
        if (idsChanged) throw new RecordIdsChangedError(name, idsChanged);
        // Under the lock, before any record is stored: what the records this sync stores are stored under (a
        // connector that ran before the hub kept it, or has nothing stored, takes the current expressions).
        await keepRecordIdHashes(this.deps.sql.pool, connectorId, recordIds);
        const read: RunRead = { mixedMappings: false, judging: null };
        const removals = await this.execute(loaded, connectorId, run.id, req, counts, runOpts, log, refused, waiting, run.checkpoint, lockPid, read);
        if (lockLost) throw lockLost;
        // Files of the drop directory refused whole: the rest was read, but the run must not look clean.
        if (refused.length) {
          // Not when the definition's mapping is not the one recorded, whether this read was forced for it or by hand: this
          // read failing, the mapping stays unrecorded, and the next sync reads every file again as this one did (QA: told
          // "a plain sync skips it", which the next, forced again, did not).
          if (req.force && mappingChange({ ...recorded, resumesPages: false }, loaded, {}) === null) await this.markIngestedBefore(connectorId, refused);
          throw new FilesRefusedError(refused, counts, counts.filesWaiting > 0 ? { connector: name, settlesInMs: waiting.settlesInMs } : undefined);
        }
        await heartbeat.stop();
        const ended = await this.deps.sql.query(
          `UPDATE connector_run SET status = 'SUCCEEDED', finished_at = now(), heartbeat_at = now(), files_refused = '[]' WHERE id = $1 AND ${ownRun('$2')} RETURNING 1`,
          [run.id, lockPid],
        );
        // Taken over meanwhile (this process was taken for stuck, and its connections closed): the run is another's.
        if (ended.length !== 1) throw lockLost ?? new SyncLockLostError(name);
        // A read of the whole source (forced, or the connector's first, and not of files given by name) finished:
        // every stored record now has this mapping. Not when it went on from pages read with another mapping, or
        // one not known: then no mapping is known any more, and the next sync reads everything (QA: a run resumed
        // after the mapping changed recorded it, and the records of its first pages kept the older one for good).
        if (read.mixedMappings) {
          await this.deps.sql.query('UPDATE connector SET records_mapping_hash = NULL, records_mapping_paths = NULL WHERE id = $1', [connectorId]);
          log.warn({ runId: run.id }, 'this run went on from a checkpoint whose pages were read with another mapping than the definition gives now (or one not known): the next sync reads the whole source again, so every record takes it');
        } else if (!req.files?.length && (req.force || !recorded.read)) {
          await this.deps.sql.query('UPDATE connector SET records_mapping_hash = $2, records_mapping_paths = $3::jsonb WHERE id = $1',
            [connectorId, loaded.mappingHash, JSON.stringify(pathsToRecord(loaded.definition.records, read.judging))]);
        } else {
          await this.forgetMappingIfMixed(connectorId, recorded, loaded, counts, run.id, log);
        }
        const summary: RunSummary = {
          runId: run.id, connector: name, status: 'SUCCEEDED', resumed: run.resumed, durationMs: Date.now() - started, ...counts,
          ...(counts.filesWaiting > 0 ? { settlesInMs: waiting.settlesInMs, waitingFiles: waiting.files } : {}),
          ...(removals ? { removals } : {}),
          ...(req.mappingChanged ? { mappingChanged: true } : {}),
        };
        const { connector: _named, ...fields } = summary; // `log` names the connector already
        log.info(fields, 'connector sync finished');
        return summary;
      } catch (thrown) {
        // Whatever the loss of the lock's connection made fail (the read aborted, a batch's statement), the loss is the cause;
        // so is the database's going away under a batch before the lock's connection has told it (QA: a restart failed the
        // attempt with the server's own 57P01, not CONNECTOR_LOCK_LOST).
        const stopping = opts.signal?.aborted && opts.signal.reason instanceof WorkerStoppingError ? opts.signal.reason : null;
        const err = lockLost ?? stopping ?? (unavailableDependency(thrown) === 'the database' ? new SyncLockLostError(name)
          : (thrown instanceof MissingSettingError || thrown instanceof FileAccessError) && opts.environment ? thrown.in(opts.environment) : thrown);
        const error = runError(err);
        await heartbeat.stop();
        if (err instanceof WorkerStoppingError && opts.job) {
          // Not a failure: the job goes back to the queue (no attempt used), and the run waits for it as for a retry, due
          // now, with no failed attempt. Unmarked (the database away), it stays RUNNING, and its job's next start resumes it.
          await this.deps.sql.query(
            `UPDATE connector_run SET heartbeat_at = now(), fetched = $2, status = 'RETRYING', next_attempt_at = now() WHERE id = $1 AND ${ownRun('$3')}`,
            [run.id, counts.fetched, lockPid],
          ).catch((e: unknown) => log.warn({ runId: run.id, err: loggedOutcome(e) }, 'a sync stopped with its worker could not be marked: it stays RUNNING until its job starts again'));
          log.info({ runId: run.id, ...counts }, 'connector sync stopped with its worker: its job goes back to the queue, and a worker goes on from the checkpoint of the last stored batch');
          throw err;
        }
        // Not the run's end while its job will try again (QA: a run shown FAILED, and `connectors sync` exiting 1, that
        // its job's next attempt made SUCCEEDED, its error wiped): RETRYING until then, each failed attempt kept.
        const retryInMs = opts.job?.retryInMs(err) ?? null;
        const attempt: FailedAttempt = { attempt: opts.job?.attempt ?? null, ...error, failedAt: new Date().toISOString() };
        const marked = await this.deps.sql.query(
          `UPDATE connector_run SET heartbeat_at = now(), files_refused = $3, fetched = $4, failed_attempts = failed_attempts || jsonb_build_array($6::jsonb),
                  status = CASE WHEN $7::float8 IS NULL THEN 'FAILED' ELSE 'RETRYING' END,
                  finished_at = CASE WHEN $7::float8 IS NULL THEN now() END,
                  error = CASE WHEN $7::float8 IS NULL THEN $2::jsonb END,
                  next_attempt_at = to_timestamp($7::float8 / 1000)
            WHERE id = $1 AND ${ownRun('$5')} RETURNING 1`,
          // Stored as the run's error is (see RefusedFile.storedMessage). `fetched`: with the batch that failed (see execute).
          [run.id, JSON.stringify(error), JSON.stringify(refused.map(({ storedMessage, ...f }) => ({ ...f, message: storedMessage }))), counts.fetched, lockPid,
            JSON.stringify(attempt), retryInMs === null ? null : Date.now() + retryInMs],
        ).catch((markErr: unknown) => {
          // The database out of reach (a restart): the attempt is recorded by the next one (see claimRun), and the queue is
          // told the run's error, not the failed statement's.
          if (unavailableDependency(markErr) !== 'the database') throw markErr;
          log.warn({ runId: run.id, err: loggedOutcome(err) }, 'connector sync attempt failed and the database is out of reach: the next attempt records it and goes on from the checkpoint');
          throw err;
        });
        if (marked.length === 1) await this.forgetMappingIfMixed(connectorId, recorded, loaded, counts, run.id, log);
        if (marked.length !== 1) {
          // This process was taken for stuck (frozen, paused) and its connections closed; another process resumed
          // the run from its checkpoint, or will: its status is that process's to tell (QA).
          log.warn({ runId: run.id }, 'connector sync stopped: its run was taken over while this process did not answer; the run is left to the process that took it');
          throw err;
        }
        // A run failed on an expected outcome (a refused file, a source refusing): code and message, no stack.
        const failed = { runId: run.id, err: loggedOutcome(err), ...counts };
        if (retryInMs !== null) {
          log.warn({ ...failed, attempt: opts.job!.attempt, maxAttempts: opts.job!.maxAttempts, retryInMs },
            'connector sync attempt failed; the run is RETRYING: its job tries again, from the checkpoint of the last stored batch');
        } else if (opts.onFailed) {
          log.debug(failed, 'connector sync failed; the checkpoint of the last stored batch is kept');
          opts.onFailed({ runId: run.id, durationMs: Date.now() - started, ...counts, error });
        } else log.warn(failed, 'connector sync failed; the checkpoint of the last stored batch is kept');
        throw err;
      }
    } finally {
      await heartbeat?.stop();
      if (locked && !lockLost) await lock.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [LOCK_NAMESPACE + name]).catch(() => {});
      lock.off('error', onLockError);
      // A connection that failed is closed, not given back to the pool.
      lock.release(lockLost ?? undefined);
    }
  }

  /**
   * A run that stored records read with another mapping than the one the stored records were read with, and did not
   * record its own (it failed, or read only some of the source: files given by name), leaves them of two mappings: the
   * mapping is then not known (null), so the next sync reads the whole source again, whatever its definition says by
   * then (QA: an edit whose forced read failed part-way, then undone, left the records it had rewritten with the undone
   * mapping's values, for good).
   */
  private async forgetMappingIfMixed(
    connectorId: string, recorded: RecordsMapping, loaded: LoadedConnector, counts: RunCounts, runId: string, log: Logger,
  ): Promise<void> {
    if (recorded.hash === null || recorded.hash === loaded.mappingHash || counts.inserted + counts.updated === 0) return;
    await this.deps.sql.query('UPDATE connector SET records_mapping_hash = NULL WHERE id = $1 AND records_mapping_hash = $2', [connectorId, recorded.hash]);
    log.warn({ runId }, 'this run stored records read with another mapping than the stored records were read with, and did not read the whole source: the next sync reads it all again, so every record takes one mapping');
  }

  private async pendingForcedFileRead(connectorId: string): Promise<boolean> {
    return (await this.deps.sql.one<{ pending: boolean }>(PENDING_FORCED_FILE_READ_SQL, [connectorId]))?.pending ?? false;
  }

  /** The mapping the connector's stored records were read with (null: not known), and whether any sync of it finished. */
  private async recordsMapping(connectorId: string, runId: string | undefined): Promise<RecordsMapping> {
    return (await this.deps.sql.one<RecordsMapping>(RECORDS_MAPPING_SQL, [connectorId, runId ?? null])) ?? NO_RECORDS_MAPPING;
  }

  /**
   * Why a sync of the connector would be refused for its record ids ({@link RecordIdsChangedError}), or null: for
   * `check` and `dry-run`. One query unless the id expressions changed.
   */
  async recordIdsRefusal(loaded: LoadedConnector, connectorId?: string): Promise<RecordIdsChangedError | null> {
    const id = connectorId ?? (await this.connectorId(loaded.definition.name));
    if (!id) return null;
    const change = await recordIdsChange(this.deps.sql.pool, id, loaded.definition.sourceSystem, recordIdHashes(loaded.definition.records));
    return change ? new RecordIdsChangedError(loaded.definition.name, change) : null;
  }

  /**
   * Gives the connector's stored records the ids its definition's record id expressions give them now
   * (`childhub connectors rekey`: ./record-rekey.ts), holding the connector's sync lock, so that no sync of it runs
   * meanwhile (refused with CONNECTOR_SYNC_RUNNING while one runs or waits for its next attempt). `dryRun`: works
   * everything out and writes nothing. A disabled connector may be rekeyed.
   */
  async rekey(name: string, opts: { dryRun?: boolean } = {}): Promise<RekeyResult> {
    const loaded = this.deps.catalog.current(name, (err) => logInvalidDefinition(this.deps.logger, err));
    const connectorId = await this.connectorId(name);
    const dryRun = !!opts.dryRun;
    if (!connectorId) {
      return { connector: name, dryRun, recordTypes: [], stored: 0, renamed: 0, unchanged: 0, rejectsRenamed: 0, rejectsKept: 0, refused: null, applied: false };
    }
    const client = await this.deps.sql.pool.connect();
    let locked = false;
    let broken: Error | undefined;
    try {
      locked = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [LOCK_NAMESPACE + name])).rows[0]!.ok;
      if (!locked) throw new SyncAlreadyRunningError(name);
      const retrying = await this.retryingRunOf(connectorId, undefined, undefined);
      if (retrying) throw new SyncAlreadyRunningError(name, { runId: retrying.id, nextAttemptAt: retrying.nextAttemptAt });
      return await rekeyRecords(client, loaded, connectorId, { dryRun, logger: this.deps.logger.child({ connector: name }) });
    } finally {
      if (locked) await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [LOCK_NAMESPACE + name]).catch((err: Error) => (broken = err));
      // A connection that failed (its unlock too) is closed, not given back to the pool.
      client.release(broken);
    }
  }

  /** Credentials, reachability and the first page (or the drop directory). Writes nothing. */
  async check(name: string): Promise<CheckResult> {
    const loaded = this.deps.catalog.get(name);
    const reader = await createReader(loaded, this.deps);
    // A drop's file it would refuse that this connector ingested already is skipped by a sync, and so not failed here;
    // unless the mapping changed since its records were read, when the next sync reads every file again.
    const connectorId = loaded.definition.kind === 'file' ? await this.connectorId(loaded.definition.name) : null;
    const skips = connectorId !== null && (await fileReread((text, params) => this.deps.sql.query(text, params), connectorId, loaded)) === null;
    return reader.check(skips ? { isFileIngested: (checksum) => this.isFileIngested(connectorId, checksum) } : {});
  }

  /**
   * The setting from the environment that keeps a connector from syncing in this process, a value it cannot use
   * (a base URL that is not one, settle seconds that are not a number), or null. No I/O: a worker tells it at
   * start, naming the variable, rather than only when each sync fails (QA). A secret not set is told by each sync.
   */
  async settingsProblem(loaded: LoadedConnector): Promise<SettingInvalidError | null> {
    const reader = await createReader(loaded, this.deps);
    try {
      reader.settings();
      return null;
    } catch (err) {
      return err instanceof SettingInvalidError ? err : null;
    } finally {
      (reader as { close?: () => void }).close?.();
    }
  }

  /** Fetches and maps the first page (or the first chunk of each sheet of the first file with rows), validates each record, and writes nothing. */
  async dryRun(name: string, opts: { limit?: number; files?: string[]; force?: boolean } = {}): Promise<DryRunResult> {
    const loaded = this.deps.catalog.get(name);
    const reader = await createReader(loaded, this.deps);
    const mapper = compileRecordMapper(loaded.definition.sourceSystem, loaded.definition.records);
    const connectorId = await this.connectorId(name);
    // A sync of a mapping changed since the stored records were read reads the whole source again, as a forced one:
    // so does its dry run (QA: it previewed the incremental page, exit 0, and the sync held page 1).
    const remapped = connectorId && !opts.force && !opts.files?.length
      ? mappingChange(await this.recordsMapping(connectorId, undefined), loaded, {})
      : null;
    // A forced read of files stopped part-way: the next sync goes on with it (QA: the dry run said a sync would skip them).
    const pending = connectorId && !opts.force && !remapped && loaded.definition.kind === 'file' ? await this.pendingForcedFileRead(connectorId) : false;
    const force = !!opts.force || remapped !== null || pending;
    // A read of files given by name stopped part-way: the next sync that names none goes on with them, from the
    // checkpoint, before the drop directory, and so does this dry run (QA re-check: it read the drop, logging the
    // checkpoint's file as gone, while warning that the sync would go on with it); unless they were moved away since.
    const namedPending = connectorId && loaded.definition.kind === 'file' && !opts.files?.length ? await this.namedFilesPending(connectorId) : null;
    const namedGone = namedPending ? await this.filesGone(loaded, namedPending) : [];
    if (namedPending && namedGone.length === 0) opts = { ...opts, files: namedPending };
    // Forced, as a forced sync reads: from the beginning, files ingested already included (QA: a file the demo had
    // ingested could not be previewed).
    const state = connectorId && !force ? await this.state(connectorId) : null;
    const limit = opts.limit ?? 20;
    const out: DryRunResult = { connector: name, location: null, fetched: 0, records: [], rejects: [], valid: 0, repeated: 0, identical: 0, unchanged: 0, warnings: [], notes: [], wouldFail: [] };
    /** The last copy of each valid source record (not a facility): its id and content hash, to count those stored as they are. */
    const toStore = new Map<string, string>();
    /** What each record to store holds, by its id (narrower-rewrite.ts). */
    const given = new Map<string, number>();
    /** The last copy of each valid facility record, to count those stored as they are. */
    const facilities = new Map<string, { sourceSystem: string; externalId: string; projections: Projections }>();
    // What a sync would say first, before reading: the records below are shown with the ids the mapping gives now.
    const refusal = connectorId ? await this.recordIdsRefusal(loaded, connectorId) : null;
    if (refusal) {
      out.warnings.push(`a sync would be refused (${refusal.code}): ${refusal.message}`);
      out.wouldFail.push(refusal.code);
    }
    if (pending) {
      out.warnings.push('a forced read of the files stopped part-way (its run left RUNNING): the next sync goes on with it, reading files ingested already too, and so does this dry run');
    }
    if (namedPending) {
      const labels = namedPending.map((f) => fileLabel(path.basename(f))).join(', ');
      const them = namedPending.length === 1 ? 'it' : 'them';
      const at = state && typeof state === 'object' && 'file' in state && 'rowsDone' in state
        ? `, ${String((state as { rowsDone: unknown }).rowsDone)} rows into ${fileLabel(String((state as { file: { name?: unknown } }).file?.name ?? ''))}`
        : '';
      out.warnings.push(namedGone.length
        ? `a read of ${labels} given by name stopped part-way (its run left RUNNING${at}), and ${namedGone.join(', ')} moved away since: the next sync reads the drop directory, as this dry run does, and the rest of ${them} is not read (give ${them} again with --file)`
        : `a read of ${labels} given by name stopped part-way (its run left RUNNING${at}): the next sync goes on with ${them} from there, before the drop directory, and so does this dry run`);
    }
    if (remapped) {
      out.warnings.push(
        remapped === 'changed'
          ? 'the mapping changed since the stored records were read: a sync reads the whole source again, as a forced one, and so does this dry run (from the first page, files ingested already included)'
          : 'the mapping the stored records were read with is not known: a sync reads the whole source again, as a forced one, and so does this dry run (from the first page, files ingested already included)',
      );
    }
    /** Each valid record's id, with its content hash and where it was: a repeat is told as a sync would tell it (QA). */
    const copies = new Map<string, { hash: string; where: string }>();
    const locations: string[] = [];
    /** The records of an API's page, as it sent them: to find paths of the mapping that none has. */
    const page: Array<Record<string, unknown>> = [];
    for await (const batch of reader.read(state, {
      maxBatches: 1,
      sampleSheets: true,
      files: opts.files,
      onEvent: (e) => {
        const columns = headersWarning(loaded.definition.records, e);
        if (columns) out.warnings.push(columns);
        // Printed to the engineer's terminal on the server, never logged: the whole message, and the file's real
        // name (messages name it by its label) for the engineer to find it in the drop directory.
        if (e.type === 'file-refused') {
          // A sync would read the other files, then end FAILED (CONNECTOR_FILES_REFUSED).
          if (!out.wouldFail.includes('CONNECTOR_FILES_REFUSED')) out.wouldFail.push('CONNECTOR_FILES_REFUSED');
          out.warnings.push(`${e.realName ?? e.fileName} refused, not read (${e.code}): ${e.message}${e.realName && e.realName !== e.fileName ? ` (named ${e.fileName} in run history and logs)` : ''}`);
        }
        if (e.type === 'file-waiting') out.warnings.push(waitingMessage(e));
        if (e.type === 'file-skipped') {
          out.warnings.push(e.reason === 'COPY_IN_DROP'
            ? `${e.fileName} skipped: the same bytes as ${e.sameAs} in this drop, read once; a sync would skip it too`
            : `${e.fileName} skipped: already ingested (the same bytes); a sync would skip it too (--force reads it again, here and in a sync)`);
        }
      },
      isFileIngested: async (checksum) => (connectorId && !force ? this.isFileIngested(connectorId, checksum) : false),
      knownChecksums: connectorId && !force && loaded.definition.kind === 'file' ? await this.dropChecksums(connectorId) : undefined,
    })) {
      if (batch.records.length || batch.rejects?.length) locations.push(batch.location);
      out.location = locations.join('; ') || batch.location;
      out.fetched += fetchedOf(batch);
      for (const r of batch.rejects ?? []) out.rejects.push({ externalId: r.readable ? mapper.externalIdOf(r.readable) : null, location: r.location, problems: r.problems });
      for (const raw of batch.records) {
        if (loaded.definition.kind === 'http') page.push(raw.data);
        const mapped = mapper(raw);
        if (!mapped.ok) {
          out.rejects.push({ externalId: mapped.externalId, location: raw.location ?? null, problems: mapped.problems });
          continue;
        }
        let record: unknown = null;
        if (mapped.type === 'child') {
          const v = validateSourceRecord(mapped.record);
          if (!v.ok) {
            out.rejects.push({ externalId: mapped.externalId, location: raw.location ?? null, problems: v.problems });
            continue;
          }
          const { raw: _raw, contentHash: _hash, ...shown } = normalizeSourceRecord(v.value);
          record = shown;
        }
        // A projection value the store refuses quarantines its record in a sync, as here.
        const refused = this.deps.projections.check(mapped.type, mapped.projections);
        if (refused.length) {
          out.rejects.push({ externalId: mapped.externalId, location: raw.location ?? null, problems: asRecordProblems(refused) });
          continue;
        }
        out.valid++;
        const key = `${mapped.type}\u0000${mapped.externalId}`;
        const where = raw.location ?? `record ${out.fetched}`;
        const hash = contentHash(loaded.mappingHash, raw);
        const earlier = copies.get(key);
        copies.set(key, { hash, where });
        // Row numbers, never values.
        if (earlier?.hash === hash) {
          out.identical++;
          out.warnings.push(`${where}: the same record as ${earlier.where} again: a sync stores it once`);
          continue;
        }
        if (mapped.type === 'child') {
          toStore.set(mapped.externalId, hash);
          if (mapped.record) given.set(mapped.externalId, givenMask(mapped.record, mapped.projections));
        }
        else facilities.set(mapped.externalId, { sourceSystem: loaded.definition.sourceSystem, externalId: mapped.externalId, projections: mapped.projections });
        if (earlier) {
          out.repeated++;
          out.warnings.push(`${where}: the id of the record at ${earlier.where} came again with other content: a sync keeps this later copy, flagged REPEATED_ID naming where it was`);
        }
        if (out.records.length < limit) {
          out.records.push({ externalId: mapped.externalId, recordType: raw.recordType ?? mapped.type, record, projections: mapped.projections, flags: mapped.flags });
        }
      }
      // One page (HTTP); a file reader's sample ends by itself, after each sheet of the first file with rows.
      if ((batch.records.length || batch.rejects?.length) && loaded.definition.kind !== 'file') break;
    }
    // Compared with what is stored, as a sync does first: one look-up, read only.
    if (toStore.size) {
      const ids = [...toStore.keys()];
      const changed = await this.deps.ingest.lookupChanged(this.deps.sql.pool, loaded.definition.sourceSystem, ids, [...toStore.values()]);
      out.unchanged = toStore.size - changed.size;
      // What a sync would hold: stored records another connector stored last, which would lose values (narrower-rewrite.ts).
      const stored = new Map([...changed].filter(([, row]) => row !== null).map(([i]) => [ids[i]!, given.get(ids[i]!) ?? 0]));
      const losses = await narrowerLoss(this.deps.sql, await this.narrowerJudging(loaded.definition), stored);
      if (losses.length) {
        out.wouldFail.push('CONNECTOR_MAPPING_NARROWER');
        out.warnings.push(`a sync would hold this page (CONNECTOR_MAPPING_NARROWER): ${new MappingNarrowerError(name, out.location ?? 'page', out.fetched, losses).message}`);
      }
    }
    // Facilities are compared by the statement that writes them: run in a transaction that is rolled back (QA re-check:
    // counted as to be stored where the sync found them unchanged).
    if (facilities.size) {
      const client = await this.deps.sql.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        // The statement locks the rows it compares: a dry run gives way to a sync holding them, well before PostgreSQL's
        // deadlock check (1 s) could pick the sync's transaction to abort (QA second re-check).
        await client.query(`SET LOCAL lock_timeout = '${DRY_RUN_LOCK_TIMEOUT_MS}ms'`);
        const { items } = await this.deps.projections.upsertFacilities(client, [...facilities.values()]);
        out.unchanged += items.filter((x) => x === 'unchanged').length;
      } catch (err) {
        if ((err as { code?: unknown }).code !== '55P03') {
          broken = err as Error;
          throw err;
        }
        out.warnings.push(`facilities not compared with those stored: a sync is writing them now; they are counted as would be stored`);
      } finally {
        await client.query('ROLLBACK').catch((err: unknown) => void (broken ??= err as Error));
        client.release(broken);
      }
    }
    // What a sync would hold (QA re-check: the dry run warned, exited 0, and the sync failed).
    // A whole read, as the sync tells one (execute's `fullRead`).
    const judging = await this.sparseJudging(connectorId ?? null, loaded.definition, !loaded.definition.http?.incremental || highWaterOf(state) === null);
    const { lost } = await unreadLoss(this.deps.sql, loaded.definition, page.map((data) => ({ data })), mapper, judging);
    if (lost.length) {
      out.wouldFail.push('CONNECTOR_MAPPING_UNREAD');
      out.warnings.push(`a sync would hold this page (CONNECTOR_MAPPING_UNREAD): ${new MappingUnreadError(name, out.location ?? 'page', page.length, lost).message}`);
    }
    const judged = page.length >= FEW_RECORDS_FOR_PATH_CHECK || (page.length > 0 && state === null);
    // A path `http.optionalPaths` lists is the source's way, not a misspelling: told as the sync tells it, not warned
    // of (QA re-check: the dry run warned of it while the sync logged it at info level).
    const optional = optionalPathsOf(loaded.definition.http?.optionalPaths);
    const unreadPaths = judged ? pathsNoRecordHas(loaded.definition.records, page) : [];
    const unmatched = unreadPaths.filter((paths) => !optional.listsAll(paths));
    const listed = unreadPaths.filter((paths) => optional.listsAll(paths));
    if (listed.length) {
      out.notes.push(`${out.location}: the mapping reads ${describeUnreadPaths(listed)}, which none of the page's ${page.length} record${page.length > 1 ? 's' : ''} has: stored empty (listed in http.optionalPaths)`);
    }
    if (unmatched.length) {
      // Paths of the definition, never values. Over a page of a few records, a field some children lack may be missing by chance.
      const few = page.length < FEW_RECORDS_FOR_PATH_CHECK;
      // A record id's part written as a bare string is a path, which a constant meant as text is not (QA re-check).
      const idParts = idJoinBarePaths(loaded.definition.records).filter((p) => unmatched.some((u) => u.length === 1 && u[0] === p));
      const constant = idParts.length ? `; a record id's join part written as a bare string is a column: text is written { value: ${JSON.stringify(idParts[0])} }` : '';
      out.warnings.push(
        `${out.location}: the mapping reads ${describeUnreadPaths(unmatched)}, which none of the page's ${page.length} record${page.length > 1 ? 's' : ''} has: ` +
          `a misspelt path leaves its field empty in every record (or ${few ? 'so few records happen' : 'this page happens'} not to use it)${constant}`,
      );
    }
    // Paths of groups and projections, absent from many pages by nature: told only when new in the definition (a
    // misspelling made by an edit, or a copy's), where no stored value tells it (a new connector's first read).
    const recorded = judging.recorded;
    const fresh = judged && recorded && loaded.definition.kind === 'http'
      ? sparseReadingsNoRecordHas(loaded.definition.records, page).filter((r) => !recorded.has(r.key) && !lost.some((l) => l.field === r.field))
      : [];
    if (fresh.length) {
      // A path within `each` by its qualified name; each path and each field once.
      const paths = [...new Set(fresh.map((r) => (r.relative ? r.qualified : r.paths[0]!)))];
      const fields = [...new Set(fresh.map((r) => r.field))];
      out.warnings.push(
        `${out.location}: the mapping reads ${paths.map((p) => `«${p}»`).join(', ')} (${fields.join(', ')}), new since the stored records were read, ` +
          `which none of the page's ${page.length} record${page.length > 1 ? 's' : ''} has: a misspelt path leaves ${paths.length > 1 ? 'them' : 'it'} empty in every record (or this page happens not to have ${paths.length > 1 ? 'them' : 'it'})`,
      );
    }
    return out;
  }

  /**
   * Reads the source from the checkpoint and stores it batch by batch. For an HTTP connector with `removals`, a
   * read of the whole source from its beginning in this attempt (not an incremental read, nor a run resumed from
   * a checkpoint) then marks the stored records it did not read as absent from the source, and returns what it
   * found. `runCheckpoint`: where this run stopped before, when it is resumed (a forced HTTP read goes on from
   * there, not from the beginning again).
   */
  private async execute(
    loaded: LoadedConnector, connectorId: string, runId: string, req: SyncRequest, counts: RunCounts, opts: RunOptions, log: Logger, refused: RefusedFile[],
    waiting: { settlesInMs: number; files: string[] }, runCheckpoint: ReaderPosition | null, lockPid: number, mixed: RunRead,
  ): Promise<RunRemovals | null> {
    const { definition, mappingHash } = loaded;
    const reader = await createReader(loaded, this.deps);
    const mapper = compileRecordMapper(definition.sourceSystem, definition.records);
    // A forced HTTP read starts from the beginning, or, resumed, from where this run stopped: never again from the
    // beginning with the counts of its first pages kept (QA: a worker's retry counted them twice).
    // The checkpoint as this attempt finds it, and since when (see the end of the read).
    const before = await this.stateWithTime(connectorId);
    let startState = req.force && definition.kind === 'http' ? (counts.batches > 0 ? runCheckpoint : null) : before.state;
    // A forced read of files that would go on from another run's checkpoint whose rows another mapping read (the definition
    // edited, or the edit undone, since it stopped) starts again from its first file: going on, the rows before the
    // checkpoint would keep that mapping's values until yet another sync (QA).
    if (req.force && definition.kind === 'file' && startState !== null && counts.batches === 0 && (await this.stateReadWith(connectorId)) !== mappingHash) {
      log.info({ runId }, 'the stopped read\'s rows were read with another mapping: this forced read starts again from the first file');
      startState = null;
    }
    // The mapping every page behind the checkpoint was read with travels with it (`connector.state_read_with`): a
    // read going on from a checkpoint another mapping (or one not known) began is of mixed mappings, and must
    // not be taken for a whole read with this one (QA: a forced read begun by a worker with the older definition,
    // or a failed first read, continued under the edited one, recorded it, and their first pages kept the older).
    const continued = startState !== null && (definition.kind === 'file' || 'page' in startState);
    const pagesReadWith = !continued ? mappingHash : (await this.stateReadWith(connectorId)) === mappingHash ? mappingHash : null;
    mixed.mixedMappings = pagesReadWith !== mappingHash;
    let last: ReaderPosition | null = startState;
    const ingestOpts = { connectorId, connectorRunId: runId, keepNewerStored: stampsLastChange(definition) };
    // A sync that reads the whole source judges records against what the source has stored, held in memory
    // (KnownRecords; see KnownRecordsHandover for when); an incremental read looks its records up by slice.
    const fullRead = definition.kind === 'file' || !definition.http?.incremental || highWaterOf(startState) === null;
    // Records gone from the source are told only by a read of all of it, from its beginning, in this one run.
    // Not when this run stored batches before (a resumed run): those were judged by an attempt whose table is gone.
    const removals = definition.kind === 'http' && definition.removals && counts.batches === 0 && readsFromBeginning(startState, !!definition.http?.incremental)
      ? definition.removals : null;
    // A full read (no lower bound) begun by a process that stopped, which this run finishes: it cannot look.
    const continuedFullRead = definition.kind === 'http' && !!definition.removals && removals === null &&
      startState !== null && 'page' in startState && startState['since'] === null;
    const known = fullRead ? new KnownRecordsHandover(this.deps.sql.pool, definition.sourceSystem, log, { loadAtOnce: removals !== null }) : null;
    // What the read is compared with, as it stands before anything is read. Shared: another connector defined now
    // feeds the same system (a connector renamed leaves its old row behind, which must not make this one compare
    // only what it happened to write last: QA).
    const shared = () => this.deps.catalog.list().some((c) => c.definition.name !== definition.name && c.definition.sourceSystem === definition.sourceSystem);
    const baseline = removals ? await removalsBaseline(this.deps.sql, definition.sourceSystem, connectorId, shared()) : null;
    // A file sync flags an id that comes again with other content, whatever became of its earlier copy: the
    // records it read as stored (unchanged: never written, so the stored row does not say this run had them)
    // are remembered here when they were looked up, and by a bit of their entry when judged by `known`
    // (KnownRecords.judge copies such an entry here when another copy of its key meets it).
    const readEarlier = definition.kind === 'file' ? KnownRecords.empty() : null;
    // Lists a file holds whole (`wholeLists`): what each file held is kept with its chunks, and applied when it is done.
    const lists = wholeListsOf(definition);
    const listTypes = lists.length ? wholeListTypes(definition) : null;
    const readEarlierInRun = readEarlier ? (externalId: string, storedHash: string) => readEarlier.judge(externalId, storedHash) === 'unchanged' : undefined;
    // What the run's pages are judged by for paths of groups and projections none of their records has (unread-loss.ts).
    const judging = await this.sparseJudging(connectorId, definition, fullRead);
    // Going on from a checkpoint whose pages this mapping read: the paths some record of them had were had by this read
    // (QA: a resumed whole read did not count them, so a path seen only before the stop stayed new until the next one).
    if (continued && pagesReadWith === mappingHash && definition.kind === 'http') {
      for (const p of await this.statePathsHad(connectorId)) judging.seen.add(p);
    }
    mixed.judging = judging;
    // The other connectors of the system, whose stored copies a page must not empty (narrower-rewrite.ts).
    const narrower = await this.narrowerJudging(definition);
    // Records with an open reject, resolved when this run stores them (or reads them valid and unchanged).
    const open = await OpenRejects.load(this.deps.ingest, this.deps.sql.pool, definition.sourceSystem);
    // A resumed run lists the directory again: the files it skips are counted anew (set, not added), and a
    // file this run ingested before it stopped is skipped as ingested, not counted as skipped.
    counts.filesSkipped = 0;
    const ingestedByThisRun = new Set<string>();
    /** The reader stopped with more on offer: not a read of the whole source (see `removals`). */
    let cutShort = false;
    /** When the file a stopped run was in was found gone: what the run stored before is no earlier copy (IngestOptions.repeatsSince). */
    let repeatsSince: Promise<string> | undefined;
    const onEvent = (e: ReaderEvent) => {
      if (e.type === 'read-cut-short') cutShort = true;
      if (e.type === 'resume-file-gone') {
        repeatsSince = this.deps.sql.one<{ t: string }>('SELECT now()::text AS t').then((r) => r!.t);
        repeatsSince.catch(() => undefined);
        log.warn(
          { runId, file: e.fileName },
          'the file the stopped run was reading is no longer in the drop directory (moved away, or replaced under its name): the directory is read afresh; the records stored from it stay as they were read, and are not taken as earlier copies of this run\'s',
        );
      }
      // Logged by file name: a sheet's name is the file's text.
      const columns = e.type === 'sheet-headers' ? headersWarning(definition.records, { ...e, where: e.fileName }) : null;
      if (columns) log.warn({ runId, file: (e as { fileName?: string }).fileName }, columns);
      if (e.type === 'file-skipped' && !ingestedByThisRun.has(e.checksum)) counts.filesSkipped++;
      if (e.type === 'file-refused') refused.push({ fileName: e.fileName, checksum: e.checksum, code: e.code, message: e.message, storedMessage: e.storedMessage });
      if (e.type === 'files-listed') {
        known?.filesListed(e.sizeBytes);
        // Set, not added: a resumed run lists the directory again.
        counts.filesWaiting = e.waiting;
      }
      if (e.type === 'file-started') known?.fileStarted(e.sizeBytes);
      // The first to settle: a follow-up sync reads it, and queues the next for the files still waiting then.
      if (e.type === 'file-waiting') {
        const ms = Math.min(MAX_SETTLE_WAIT_MS, Math.max(0, (e.settleSeconds - e.modifiedSecondsAgo) * 1000));
        waiting.settlesInMs = Math.min(waiting.settlesInMs, ms);
        if (!waiting.files.includes(e.fileName)) waiting.files.push(e.fileName);
      }
      log.debug({ runId, event: e.type, ...eventFields(e) }, 'connector reader event');
    };
    const batches = reader.read(startState, {
      signal: opts.signal,
      files: req.files,
      onEvent,
      // Not with lists a file holds whole: a row recognised by its text is not parsed, so its id is not known.
      recogniser: known && lists.length === 0 ? textRecogniser(known, mappingHash, open) : undefined,
      isFileIngested: async (checksum) => {
        if (req.force) return false;
        const by = await this.fileIngestedBy(connectorId, checksum);
        if (by === runId) ingestedByThisRun.add(checksum);
        return by !== null;
      },
      isSizeIngested: async (sizeBytes) => (req.force ? false : this.isSizeIngested(connectorId, sizeBytes)),
      knownChecksums: definition.kind === 'file' && !req.force ? await this.dropChecksums(connectorId) : undefined,
      onChecksums: (taken, listed) => this.rememberDropChecksums(connectorId, taken, listed),
    })[Symbol.asyncIterator]();
    // Everything about a batch that writes nothing — read, hash, look up what is stored, map, validate,
    // normalise — is done for the next batch while the current one is being stored: the CPU work here
    // overlaps PostgreSQL's there. Batches are still stored one at a time, in order, each with its checkpoint.
    /** Records of a batch read but not staged (its staging failed): counted as fetched if that ends the run. */
    let unstaged = 0;
    const stage = async (inFlight: ReadonlySet<string>): Promise<StagedBatch | null> => {
      const next = await batches.next();
      if (next.done) return null;
      // When the first batch has arrived (a file sync with no new file loads nothing); once.
      await known?.begin();
      try {
        await this.holdUnreadPage(loaded, next.value, mapper, log, runId, judging);
        // The paths had up to this batch, as saved with its checkpoint (not the next batch's, staged meanwhile).
        const pathsHad = definition.kind === 'http' ? [...judging.seen] : null;
        const staged = await this.stageBatch(next.value, mapper, definition.sourceSystem, mappingHash, ingestOpts, inFlight, known, open, readEarlier, listTypes, narrower.siblings.length > 0);
        await holdNarrowerPage(this.deps.sql, definition.name, staged, narrower);
        return { ...staged, pathsHad };
      } catch (err) {
        unstaged = fetchedOf(next.value);
        throw err;
      }
    };
    // The next batch is awaited only after the current one is stored: mark its failure handled now, so a
    // read error meanwhile does not count as an unhandled rejection (it is rethrown where it is awaited).
    const startStage = (inFlight: ReadonlySet<string>) => {
      const p = stage(inFlight);
      p.catch(() => undefined);
      return p;
    };
    let pending = startStage(new Set());
    try {
      for (;;) {
        const current = await pending.catch((err: unknown) => {
          // A batch the run cannot store (a projection the store refuses) was fetched all the same: the run
          // says so. Not when a retry of the run reads the batch again (it counts it then).
          if (isPermanentSyncError(err)) counts.fetched += unstaged;
          throw err;
        });
        if (!current) break;
        // The next batch is staged while this one is stored, so what it looks up may predate this batch's
        // commit: its records that share a key with this batch (a page repeated) are never judged by that
        // look-up; they are written by key, and the write itself compares hashes.
        pending = startStage(current.keys);
        const { batch } = current;
        // Committed without waiting for the disk (`asyncCommit`): a batch commits with the checkpoint it is
        // resumed from, so if a crash of PostgreSQL loses the last batches, the sync reads them again from
        // there. The run's closing statements (below, and its status) are ordinary commits: they wait for all.
        // The lock lost (its connection's loss told: see `run`), nothing more is stored.
        opts.signal?.throwIfAborted();
        const delta = await this.deps.sql.tx(async (client) => {
          // What the chunk held, for the lists its file holds whole: before its records are written (see rememberListed).
          const checksum = lists.length ? (batch.fileCompleted?.checksum ?? fileChecksumOf(batch.position)) : null;
          if (checksum) await rememberListed(client, connectorId, checksum, definition.sourceSystem, chunkListed(current, definition.sourceSystem));
          const result = current.ingest.records.size || current.ingest.quarantined.length
            ? await this.deps.ingest.store(client, current.ingest, {
              ...ingestOpts, location: batch.location, flagRepeatsInRun: definition.kind === 'file', readEarlierInRun, repeatsSince: repeatsSince && (await repeatsSince),
            })
            : null;
          if (result?.stored.length) {
            await this.deps.projections.storeEncoded(
              client,
              result.stored.map((x) => ({ sourceRecordId: x.sourceRecordId, encoded: current.projections[x.index] ?? null, isNew: x.inserted })),
            );
          }
          // Facility records (projections only) count as a child's record does: inserted, updated or unchanged.
          const facilities = current.facilities.length ? (await this.deps.projections.upsertFacilities(client, current.facilities)).items : [];
          const facilitiesDid = (what: string) => facilities.filter((x) => x === what).length;
          // Each record counts once per run: one the run quarantined already (a repeated page) is unchanged.
          const rejected = await this.deps.ingest.quarantine(client, current.rejects, ingestOpts);
          const resolved = resolvable(current, definition.sourceSystem);
          if (resolved.length) await this.deps.ingest.resolveRejects(client, definition.sourceSystem, resolved, runId);
          let listed: RunRemovals | null = null;
          if (checksum && batch.fileCompleted) {
            const found = await applyWholeLists(client, { connectorId, checksum, sourceSystem: definition.sourceSystem, runId, lists });
            // Every file whose lists compared records counts (QA: `stored` left out the files that changed nothing).
            if (found.stored || found.returned || found.held) {
              const sum = await addToRunRemovals(client, runId, connectorId, found);
              if (found.marked || found.returned || found.held) listed = sum;
            }
          }
          let filesIngested = 0;
          if (batch.fileCompleted) {
            const f = batch.fileCompleted;
            // A file read whole counts, a forced re-read of one ingested before too (its row stays the first
            // run's); not a file this run had recorded already (a forced run resumed reads it again).
            const ins = await client.query<{ counted: boolean }>(
              `WITH ins AS (
                 INSERT INTO ingested_file (id, connector_id, checksum, file_name, size_bytes, connector_run_id)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (connector_id, checksum) DO NOTHING RETURNING 1
               )
               SELECT EXISTS (SELECT 1 FROM ins)
                   OR NOT EXISTS (SELECT 1 FROM ingested_file WHERE connector_id = $2 AND checksum = $3 AND connector_run_id = $6) AS counted`,
              [newId('ingestedFile'), connectorId, f.checksum, f.fileName, f.sizeBytes, runId],
            );
            filesIngested = ins.rows[0]?.counted ? 1 : 0;
          }
          const d: RunCounts = {
            filesWaiting: 0,
            repeatedIds: result?.repeatedWithOtherContent.length ?? 0,
            batches: 1,
            fetched: current.fetched,
            inserted: (result?.inserted ?? 0) + facilitiesDid('inserted'),
            updated: (result?.updated ?? 0) + facilitiesDid('updated'),
            unchanged: current.unchanged + (result?.unchanged ?? 0) + current.rejects.length - rejected + facilitiesDid('unchanged'),
            rejected: rejected + (result?.rejected ?? 0),
            filesIngested,
            filesSkipped: 0,
          };
          // Committed only while the lock is held: its loss may not be told yet when the batch is written.
          if (!(await this.saveProgress(client, connectorId, runId, batch.position, d, counts, lockPid, definition.name, pagesReadWith, current.pathsHad ?? null))) {
            throw new SyncLockLostError(definition.name);
          }
          return { d, repeated: result?.repeatedWithOtherContent ?? [], older: result?.olderCopies ?? [], listed };
        }, { asyncCommit: true });
        if (delta.listed) {
          // Counts only: the records are listed by SourceRecord.absentFromSourceSince.
          log.info({ runId, ...delta.listed },
            delta.listed.held ? 'records in the lists a file holds whole that it no longer lists not marked absent: the file held a record whose id could not be read'
              : 'records in the lists a file holds whole that it no longer lists marked absent');
        }
        if (delta.repeated.length) {
          // Row and page numbers, never values.
          log.warn(
            { runId, count: delta.repeated.length, locations: delta.repeated.slice(0, 20).map(withoutSheetName) },
            'records whose id came again in this sync with other content: the later copy is kept (each with a REPEATED_ID flag naming where it was)',
          );
        }
        if (delta.older.length) {
          // Page and entry numbers, never values.
          log.warn(
            { runId, count: delta.older.length, locations: delta.older.slice(0, 20), cursorField: definition.http?.incremental?.cursorField },
            'records read older than the copy stored under their id (by the cursor field): not stored, the newer copy kept (a stale replica or cache of the source); counted unchanged',
          );
        }
        addCounts(counts, delta.d);
        last = batch.position;
        await opts.onProgress?.({ runId, connector: definition.name, location: batch.location, ...counts });
      }
    } finally {
      known?.close();
      // A failed batch leaves the next one being prepared: let it settle, then close the reader (its files).
      await pending.catch(() => null);
      await batches.return?.(undefined).catch(() => undefined);
    }
    const final = reader.complete(last, startState);
    // As a batch (saveProgress), only while the lock is held. The checkpoint's time moves only when it changes: a
    // run that ends where this attempt began (nothing new: no file, an HTTP high-water mark as it was) puts back the
    // time it had then, whatever its batches' positions were meanwhile (QA: checkpointAt moved on every run of a
    // connector that got nothing new for weeks, its checkpoint null throughout).
    const kept = await this.deps.sql.query(
      `UPDATE connector SET state = $2::jsonb, state_paths_had = NULL,
              state_updated_at = CASE WHEN $2::jsonb IS NOT DISTINCT FROM $5::jsonb THEN $6::timestamptz
                                      WHEN state IS DISTINCT FROM $2::jsonb THEN now() ELSE state_updated_at END
        WHERE id = $1 AND ${lockHeld('$3', '$4')} RETURNING 1`,
      [connectorId, final ? JSON.stringify(final) : null, lockPid, definition.name, before.state ? JSON.stringify(before.state) : null, before.at],
    );
    if (kept.length !== 1) throw new SyncLockLostError(definition.name);
    await this.deps.sql.query(`UPDATE connector_run SET files_skipped = $2, files_waiting = $3 WHERE id = $1`, [runId, counts.filesSkipped, counts.filesWaiting]);
    if (lists.length) {
      // What files left unfinished held (a file changed or removed while a stopped sync was reading it, never
      // resumed): not the file the checkpoint is in, whose next chunks a later sync reads.
      await this.deps.sql.query(`DELETE FROM file_listed_record WHERE connector_id = $1 AND checksum IS DISTINCT FROM $2`, [connectorId, final ? fileChecksumOf(final) : null]);
    }
    if (continuedFullRead && !cutShort) {
      // Said, and made up (QA: a forced read whose worker was stopped was finished by the next sync, and the
      // records gone from the source were never looked for, with nothing said): when the connector is scheduled,
      // the next scheduled sync reads the whole source again, whether the read was forced by hand or on the schedule.
      const owed = !!definition.http?.incremental && !!(definition.schedule || definition.removals?.fullReadSchedule);
      if (owed) await this.owedAfterContinuedRead(definition.name, runId);
      log.warn(
        { runId, fullReadOwed: owed },
        `records gone from the source not looked for: this run finished a full read begun by a process that stopped, whose first pages it cannot judge; ${
          owed ? 'the next scheduled sync reads the whole source again and looks'
            : !definition.http?.incremental ? 'the next sync reads the whole source and looks' : 'the next full read looks (connectors sync --force)'}`,
      );
    }
    if (lists.length) {
      // What the run's files did to their lists, this attempt's and a stopped one's (kept on the run).
      return (await this.deps.sql.one<{ removals: RunRemovals | null }>(`SELECT removals FROM connector_run WHERE id = $1`, [runId]))?.removals ?? null;
    }
    if (!removals || !baseline) return null;
    if (cutShort) {
      log.warn({ runId }, 'records gone from the source not looked for: the read stopped before the source said it had ended');
      return null;
    }
    const table = known?.wholeReadTable ?? null;
    if (!table) {
      // No batch at all, or more records than a table holds (KNOWN_RECORDS_MAX): nothing to compare with.
      log.info({ runId }, 'records gone from the source not looked for: the stored records were not held in memory for this read');
      return null;
    }
    const found = await markRemovals(this.deps.sql, { sourceSystem: definition.sourceSystem, connectorId, runId, table, maxShare: removals.maxShare, baseline });
    if (found.heldReason) {
      log.warn({ runId, ...found }, 'records the source no longer returns were not marked absent (see heldReason)');
    } else if (found.marked || found.returned) {
      log.info({ runId, ...found }, 'records the source no longer returns marked absent');
    }
    return found;
  }

  /**
   * What a run's pages (or a dry run's) are judged by for the copies another connector of the system stored last
   * (narrower-rewrite.ts): the folder read again first, so a connector disabled or removed since is not counted.
   */
  private async narrowerJudging(definition: LoadedConnector['definition']): Promise<NarrowerJudging> {
    this.deps.catalog.refresh((err) => logInvalidDefinition(this.deps.logger, err));
    const valid = new Set(this.deps.catalog.names());
    const invalid = this.deps.catalog.folderNames().filter((n) => !valid.has(n));
    const known = invalid.length
      ? await this.deps.sql.query<{ name: string; enabled: boolean }>('SELECT name, enabled FROM connector WHERE source_system = $1', [definition.sourceSystem])
      : [];
    return {
      sourceSystem: definition.sourceSystem, siblings: siblingsOf(definition, this.deps.catalog.list(), invalid, known), notMapped: notMappedMask(definition.records),
      tally: new Map(),
    };
  }

  /** What a run's pages (or a dry run's) are judged by for paths of groups and projections none of their records has (unread-loss.ts). */
  private async sparseJudging(connectorId: string | null, definition: LoadedConnector['definition'], fullRead: boolean): Promise<SparseJudging> {
    return {
      recorded: definition.kind === 'http' ? await recordedPaths(this.deps.sql, connectorId, definition.sourceSystem) : null,
      fullRead,
      seen: new Set<string>(),
      // As staging judges a record: a refused one is quarantined, its stored values kept.
      wouldStore: (m: MappedChild) => validateSourceRecord(m.record).ok && this.deps.projections.check(m.type, m.projections).length === 0,
    };
  }

  /**
   * Holds a page {@link unreadLoss} finds losing stored values ({@link MappingUnreadError}); warns in the log of any other
   * unread path, and tells at info level of those `http.optionalPaths` lists, whose absence the definition says is the
   * source's way (QA: a fresh demo warned of the health station's guardian, which a page of children may all lack).
   */
  private async holdUnreadPage(loaded: LoadedConnector, batch: ReadBatch, mapper: RecordMapper, log: Logger, runId: string, judging: SparseJudging): Promise<void> {
    const { definition } = loaded;
    const { unread, lost } = await unreadLoss(this.deps.sql, definition, batch.records, mapper, judging);
    if (lost.length) throw new MappingUnreadError(definition.name, batch.location, batch.records.length, lost);
    const optional = optionalPathsOf(definition.http?.optionalPaths);
    const listed = unread.filter((u) => optional.listsAll(u.paths));
    for (const [group, level] of [[unread.filter((u) => !listed.includes(u)), 'warn'], [listed, 'info']] as const) {
      if (!group.length) continue;
      log[level](
        { runId, location: batch.location, paths: group.map((u) => u.paths), fields: [...new Set(group.flatMap((u) => u.fields))] },
        `${batch.location}: the mapping reads ${describeUnreadPaths(group.map((u) => u.paths))}, which none of the page's ${batch.records.length} record${batch.records.length === 1 ? '' : 's'} has: ` +
          `${group.map((u) => u.fields.join(', ')).join('; ')} stored empty${level === 'info' ? ' (listed in http.optionalPaths)' : ''}`,
      );
    }
  }

  /**
   * Prepares one batch for its transaction, writing nothing, a slice of {@link SLICE} records at a time:
   * each slice's records get the mapping's external id and the content hash of the raw record, the rows
   * stored under those keys are looked up (while the previous slice is mapped), a record whose hash equals
   * the stored one is counted and dropped, and the rest are mapped, validated, normalised and encoded. So
   * re-reading unchanged data costs a hash and an index probe per record, and a batch waiting for its
   * transaction holds its records as encoded bytes, never a whole batch of intermediate objects.
   */
  private async stageBatch(
    batch: ReadBatch,
    mapper: RecordMapper,
    sourceSystem: string,
    mappingHash: string,
    ingestOpts: { connectorId: string; connectorRunId: string; keepNewerStored: boolean },
    inFlight: ReadonlySet<string>,
    known: KnownRecordsHandover | null,
    open: OpenRejects,
    readEarlier: KnownRecords | null,
    listTypes: ReadonlySet<string> | null,
    narrowing: boolean,
  ): Promise<StagedBatch> {
    const staged: StagedBatch = {
      batch, fetched: fetchedOf(batch), ingest: this.deps.ingest.newBatch(), projections: [],
      facilities: [], rejects: [], unchanged: 0, keys: new Set(), resolves: [], rejectedAt: new Map(), validAt: new Map(),
      listing: listTypes ? { ids: [], types: listTypes, unidentified: false } : null,
      given: narrowing ? new Map() : null,
    };
    for (const r of batch.rejects ?? []) {
      // A broken row keeps the id read from what of it is surely in place, so storing it fixed resolves the reject.
      const externalId = r.readable ? mapper.externalIdOf(r.readable) : null;
      staged.rejects.push({ sourceSystem, externalId, location: r.location, payload: r.payload, problems: r.problems });
      // A broken row without its id may be any list's record (its record type is not told).
      if (externalId === null && staged.listing) staged.listing.unidentified = true;
      // Where the broken row stood among the batch's records is not known: no copy of the batch resolves it.
      if (externalId !== null) staged.rejectedAt.set(externalId, Infinity);
      // The source still holds it: not a record gone from the source.
      if (externalId !== null) known?.settledTable?.markRead(externalId);
    }
    const opts = { ...ingestOpts, location: batch.location };
    known?.staging(staged.keys);
    let previous: PendingSlice | null = null;
    for (let start = 0; start < batch.records.length; start += SLICE) {
      const end = Math.min(batch.records.length, start + SLICE);
      const table = known?.forSlice(end - start, inFlight, staged.keys) ?? null;
      const identified = await identify(batch.records, start, end, mapper, mappingHash, table !== null);
      if (staged.listing) for (const x of identified) if (x && x !== RECOGNISED) staged.listing.ids.push(x.externalId);
      const slice: PendingSlice = table
        ? this.judgeSlice(start, identified, sourceSystem, table, batch.records, mapper, mappingHash, readEarlier)
        : this.lookUpSlice(start, identified, sourceSystem, staged, inFlight);
      if (previous) await this.stageSlice(staged, previous, mapper, sourceSystem, mappingHash, opts, inFlight, open, readEarlier);
      previous = slice;
    }
    if (previous) await this.stageSlice(staged, previous, mapper, sourceSystem, mappingHash, opts, inFlight, open, readEarlier);
    // Records quarantined now are resolved if a later batch of this run stores them (a repeated page), or reads them
    // as they are stored (a later file of the drop): such a row must then not be skipped unparsed by its text (QA).
    const quarantined = new Set<string>();
    for (const r of staged.rejects) if (r.externalId !== null) quarantined.add(r.externalId);
    for (const r of staged.ingest.quarantined) if (r.externalId !== null) quarantined.add(r.externalId);
    if (quarantined.size) await open.addQuarantined(this.deps.ingest, this.deps.sql.pool, sourceSystem, [...quarantined]);
    return staged;
  }

  /**
   * Judges a slice against what the source had stored when the table was loaded ({@link KnownRecords}): unchanged
   * records are dropped here, new ones need no look-up, changed ones are looked up (for their id and child),
   * and keys this sync wrote already are written by key. Every key about to be written is marked. A record
   * the reader recognised by its text is unchanged unless this sync has written its key meanwhile (a record
   * read before it, maybe in the same slice); then it is parsed and judged like the others. Records found
   * unchanged are remembered as read (see `readEarlier` in `execute`).
   */
  private judgeSlice(
    start: number,
    identified: Array<Identified | null>,
    sourceSystem: string,
    known: KnownRecords,
    records: RawRecord[],
    mapper: RecordMapper,
    mappingHash: string,
    readEarlier: KnownRecords | null,
  ): PendingSlice {
    const decided = new Map<number, StoredRow | null>();
    const byKey = new Set<string>();
    const changed: number[] = [];
    for (let i = 0; i < identified.length; i++) {
      let x = identified[i];
      if (x === RECOGNISED) {
        const raw = records[start + i]!;
        if (known.readStored(raw.known!)) continue;
        x = identified[i] = identifyOne(raw, mapper, mappingHash);
      }
      if (!x) continue;
      const judged = known.judge(x.externalId, x.hash, readEarlier ?? undefined);
      if (judged === 'unchanged') continue;
      if (judged === 'absent') decided.set(i, null);
      else if (judged === 'written') byKey.add(`${sourceSystem}\u0000${x.externalId}`);
      else {
        known.markWritten(x.externalId);
        changed.push(i);
      }
    }
    return { start, identified, lookup: this.lookUp(sourceSystem, identified, changed, decided), byKey, judged: true };
  }

  /** Starts looking up what is stored under a slice's keys (keys of the batch in flight excepted: see `inFlight`). */
  private lookUpSlice(start: number, identified: Array<Identified | null>, sourceSystem: string, staged: StagedBatch, inFlight: ReadonlySet<string>): PendingSlice {
    const indexes: number[] = [];
    for (let i = 0; i < identified.length; i++) {
      const x = identified[i];
      if (!x) continue;
      const key = `${sourceSystem}\u0000${x.externalId}`;
      staged.keys.add(key);
      // Not looked up: see `inFlight`.
      if (!inFlight.has(key)) indexes.push(i);
    }
    return { start, identified, lookup: this.lookUp(sourceSystem, identified, indexes, new Map()), byKey: NO_KEYS, judged: false };
  }

  /**
   * Looks up the slice's records at `indexes` and adds, for each one that differs from what is stored, the
   * stored row (null: nothing stored) to `decided` under its index; an unchanged record gets no entry.
   */
  private lookUp(sourceSystem: string, identified: Array<Identified | null>, indexes: number[], decided: Map<number, StoredRow | null>): Promise<Map<number, StoredRow | null>> {
    const lookup = indexes.length === 0
      ? Promise.resolve(decided)
      : this.deps.ingest
          .lookupChanged(this.deps.sql.pool, sourceSystem, indexes.map((i) => identified[i]!.externalId), indexes.map((i) => identified[i]!.hash))
          .then((changed) => {
            for (const [k, row] of changed) decided.set(indexes[k]!, row);
            return decided;
          });
    lookup.catch(() => undefined); // awaited by stageSlice; a failure meanwhile is not unhandled
    return lookup;
  }

  /** Maps, validates, normalises and encodes one slice's changed records into the staged batch. */
  private async stageSlice(
    staged: StagedBatch,
    slice: PendingSlice,
    mapper: RecordMapper,
    sourceSystem: string,
    mappingHash: string,
    opts: { connectorId: string; connectorRunId: string; location: string },
    inFlight: ReadonlySet<string>,
    open: OpenRejects,
    readEarlier: KnownRecords | null,
  ): Promise<void> {
    const changed = await slice.lookup;
    const { batch } = staged;
    const items: IngestItem[] = [];
    /** The batch's index of this slice's first item (its projections are pushed as its items are). */
    const base = staged.projections.length;
    const refused: ProjectionProblem[] = [];
    /** What is stored under the keys of the records to write (a key with nothing stored has no entry). */
    const stored: StoredRows = new Map();
    const looked = new Set<string>();
    const notLookedUp = slice.byKey.size === 0 ? inFlight : new Set([...inFlight, ...slice.byKey]);
    for (let i = 0; i < slice.identified.length; i++) {
      const y = yieldIfBusy();
      if (y) await y;
      const x = slice.identified[i]!;
      if (x === RECOGNISED) {
        staged.unchanged++;
        continue;
      }
      const key = x ? `${sourceSystem}\u0000${x.externalId}` : null;
      if (key !== null && !notLookedUp.has(key)) {
        const row = changed.get(i);
        if (row === undefined) {
          staged.unchanged++;
          // Looked up (a judged record is remembered by its table's entry): one hash-table entry, 16 bytes or so.
          if (readEarlier && !slice.judged) readEarlier.addRead(x!.externalId, x!.hash);
          // Valid and stored as it is: a reject from when the source sent it otherwise no longer holds.
          if (open.any && open.has(x!.externalId)) staged.resolves.push(x!.externalId);
          if (staged.rejectedAt.size && staged.rejectedAt.has(x!.externalId)) staged.validAt.set(x!.externalId, base + items.length - 0.5);
          continue;
        }
        looked.add(key);
        if (row) stored.set(key, row);
      }
      const raw = batch.records[slice.start + i]!;
      const mapped = mapper(raw);
      if (!mapped.ok) {
        staged.rejects.push({ sourceSystem, externalId: mapped.externalId, location: rejectLocation(batch.location, raw.location), payload: raw.data, problems: mapped.problems });
        // Only a record of a list's type whose id cannot be read may be one of a list's records (not a facility row).
        if (mapped.externalId === null && staged.listing && (raw.recordType === undefined || staged.listing.types.has(raw.recordType))) staged.listing.unidentified = true;
        if (mapped.externalId !== null) staged.rejectedAt.set(mapped.externalId, base + items.length - 0.5);
        continue;
      }
      // A projection value the store refuses (a source value outside a field's list, read without a `map`)
      // quarantines its record, as a mapping error does: the records around it still land.
      refused.length = 0;
      let encoded: EncodedProjections | null = null;
      if (mapped.type === 'facility') refused.push(...this.deps.projections.check('facility', mapped.projections));
      else encoded = this.deps.projections.encode(mapped.projections, base + items.length, refused);
      if (refused.length) {
        staged.rejects.push({ sourceSystem, externalId: mapped.externalId, location: rejectLocation(batch.location, raw.location), payload: raw.data, problems: asRecordProblems(refused) });
        staged.rejectedAt.set(mapped.externalId, base + items.length - 0.5);
        continue;
      }
      if (open.any && open.has(mapped.externalId)) staged.resolves.push(mapped.externalId);
      if (mapped.type === 'facility') {
        if (staged.rejectedAt.size && staged.rejectedAt.has(mapped.externalId)) staged.validAt.set(mapped.externalId, base + items.length - 0.5);
        staged.facilities.push({ sourceSystem, externalId: mapped.externalId, projections: mapped.projections });
        continue;
      }
      // A row's text under its layout is the record as the file wrote it: stored as such, not as JSON of its data.
      const rawText = raw.text !== undefined && raw.textLayout !== undefined ? { text: raw.text, layout: raw.textLayout } : undefined;
      const item: IngestItem = {
        input: mapped.record, contentHash: x?.hash ?? contentHash(mappingHash, raw), rawJson: x?.json, rawText, flags: mapped.flags, location: raw.location,
        rejectPayload: raw.data,
      };
      items.push(item);
      // What its copy holds, for the records another connector stored last (narrower-rewrite.ts); only while one is defined.
      if (mapped.record) staged.given?.set(mapped.externalId, givenMask(mapped.record, mapped.projections));
      if (!slice.judged) staged.keys.add(itemKey(item));
      staged.projections.push(encoded);
    }
    // The slice's raw records are done with: let them go now rather than with the whole batch.
    batch.records.fill(RELEASED, slice.start, slice.start + slice.identified.length);
    if (items.length === 0) return;
    // Items the mapping identified differently from `identify` (never, unless a mapping changes) are looked
    // up too; items of the batch in flight are not (they go to the write by key).
    const missing = items.filter((it) => !looked.has(itemKey(it)) && !notLookedUp.has(itemKey(it)));
    if (missing.length) for (const [k, v] of await this.deps.ingest.lookup(this.deps.sql.pool, missing)) stored.set(k, v);
    await this.deps.ingest.prepare(this.deps.sql.pool, items, opts, { stored, notLookedUp, into: staged.ingest, indexBase: base });
  }

  /**
   * Saves a batch's checkpoint and counts, in one statement (one round trip): the connector's position and the
   * run's checkpoint and counts. False, saving nothing of the run, when `lockPid` no longer holds the sync lock of
   * connector `name` (its connection lost: PostgreSQL restarted); the caller then rolls the batch back.
   */
  private async saveProgress(
    client: PoolClient, connectorId: string, runId: string, position: ReaderPosition, d: RunCounts, run: Pick<RunCounts, 'filesSkipped' | 'filesWaiting'>, lockPid: number,
    name: string, pagesReadWith: string | null, pathsHad: readonly string[] | null,
  ): Promise<boolean> {
    const saved = await client.query(
      `WITH c AS (UPDATE connector SET state = $2::jsonb, state_read_with = $16, state_paths_had = $17::jsonb,
                   state_updated_at = CASE WHEN state IS DISTINCT FROM $2::jsonb THEN now() ELSE state_updated_at END WHERE id = $11)
       UPDATE connector_run SET checkpoint = $2, heartbeat_at = now(), batches = batches + $3, fetched = fetched + $4, inserted = inserted + $5,
         updated = updated + $6, unchanged = unchanged + $7, rejected = rejected + $8, files_ingested = files_ingested + $9, files_skipped = $10,
         files_waiting = $12, repeated_ids = repeated_ids + $13
       WHERE id = $1 AND ${lockHeld('$14', '$15')}`,
      [runId, JSON.stringify(position), d.batches, d.fetched, d.inserted, d.updated, d.unchanged, d.rejected, d.filesIngested, run.filesSkipped, connectorId, run.filesWaiting,
        d.repeatedIds, lockPid, name, pagesReadWith, pathsHad ? JSON.stringify(pathsHad) : null],
    );
    return saved.rowCount === 1;
  }

  /**
   * The connector's run waiting for its job's next attempt (RETRYING), if any, and whether it is this sync's own:
   * the run it was queued as (`runId`), or, for a scheduled job's retry, the run its job (`jobId`) began. A run of
   * this job left RUNNING (its attempt could not mark it: the database away) is this sync's too: it is resumed.
   */
  private async retryingRunOf(connectorId: string, runId: string | undefined, jobId: string | undefined): Promise<{ id: string; own: boolean; nextAttemptAt: Date | null } | null> {
    const row = await this.deps.sql.one<{ id: string; own: boolean; next_attempt_at: Date | null }>(
      `SELECT id, (id = $2 OR job_id = $3) IS TRUE AS own, next_attempt_at FROM connector_run
        WHERE connector_id = $1 AND (status = 'RETRYING' OR (status = 'RUNNING' AND $2::text IS NULL AND job_id = $3))
        ORDER BY status = 'RETRYING' DESC LIMIT 1`,
      [connectorId, runId ?? null, jobId ?? null],
    );
    return row ? { id: row.id, own: row.own, nextAttemptAt: row.next_attempt_at } : null;
  }

  /**
   * Decides which run this is. Holding the connector's lock, a run still RUNNING was left by a worker
   * that died: if it is this job's run, it resumes; otherwise it is closed as interrupted and this run
   * continues from the checkpoint it left.
   */
  private async claimRun(
    connectorId: string, loaded: LoadedConnector, req: SyncRequest, runId: string | undefined, scheduledAt: number | undefined, lockPid: number,
    job: SyncJobAttempt | undefined,
  ): Promise<ClaimedRun | null> {
    const jobId = job?.jobId ?? null;
    const maxAttempts = job?.maxAttempts ?? null;
    return this.deps.sql.tx(async (client) => {
      const stale = await client.query<{ id: string; checkpoint: ReaderPosition | null; forced: boolean; files: unknown } & Record<string, number>>(
        `SELECT id, batches, fetched, inserted, updated, unchanged, rejected, files_ingested AS "filesIngested", files_skipped AS "filesSkipped",
                  files_waiting AS "filesWaiting", repeated_ids AS "repeatedIds", checkpoint, coalesce(options->>'force' = 'true', false) AS forced,
                  options->'files' AS files
           FROM connector_run WHERE connector_id = $1 AND status = 'RUNNING' FOR UPDATE`,
        [connectorId],
      );
      const left = stale.rows[0];
      if (left && left.id === runId) {
        // Attempts before this one failed (the queue counts an attempt only when it fails) and left the run RUNNING: they
        // could not record why, the database being out of reach (a restart, an outage). Recorded now: the first as the
        // attempt its database lost, at the run's last sign of life, the others as attempts that could not reach it (QA:
        // a PostgreSQL restart left failedAttempts empty, and the run SUCCEEDED as if no attempt had failed).
        await client.query(
          `UPDATE connector_run SET resumed = resumed + 1, heartbeat_at = now(), job_id = $3, max_attempts = $4, ${holderSet('$2')},
                  ${missedAttemptsSet(5)} WHERE id = $1`,
          [left.id, lockPid, jobId, maxAttempts, ...missedAttemptsParams(job, true)]);
        const { id, checkpoint, forced: _forced, files: _files, ...counts } = left;
        return { id, resumed: true, counts, checkpoint, takesOver: null };
      }
      // A scheduled job that comes back late (its worker stopped, and BullMQ gave it out again) after a later
      // run of the connector started and did not fail: that run did its work, and reading the source again
      // for it would be a second run of one schedule slot (QA). A forced read (a full-read schedule, which may
      // have waited behind an incremental run) is done only by a later forced run.
      if (!runId && !left && scheduledAt !== undefined) {
        const later = await client.query(
          `SELECT 1 FROM connector_run WHERE connector_id = $1 AND status IN ('RUNNING', 'SUCCEEDED') AND started_at >= to_timestamp($2::double precision / 1000)
              AND ($3::boolean IS NOT TRUE OR options->>'force' = 'true') LIMIT 1`,
          [connectorId, scheduledAt, !!req.force],
        );
        if (later.rowCount) return null;
      }
      const id = runId ?? newId('connectorRun');
      // A forced HTTP read starts from the beginning: it does not continue the stopped run's checkpoint (QA).
      const continues = !(req.force && loaded.definition.kind === 'http');
      // A forced file read stopped part-way is gone on with as forced: its files ingested before, the one it stopped in
      // among them, are read again, not skipped (QA: the next sync skipped them all, and the history said it continued).
      // (An HTTP read goes on from its checkpoint's page whatever this run asked: see `execute`.)
      const continuesForced = !!left && continues && left.forced && !req.force && loaded.definition.kind === 'file';
      // Of the files it named, if it named some and this request names none (QA re-check: a stopped `--force --file x` made
      // the next sync read the whole drop again; QA: a stopped `--file x` made the next sync read the drop, said the run
      // continued from its checkpoint, and left the rest of x unread). The drop is read by the run after.
      const namedFiles = Array.isArray(left?.files) && left.files.every((f) => typeof f === 'string') ? (left.files as string[]) : null;
      // Files since moved away are not gone on with: the request is read as asked, and the stopped run says what was left
      // unread (QA re-check: a plain sync failed CONNECTOR_FILE_UNREADABLE on a file it never asked for).
      const namedGone = !!left && continues && loaded.definition.kind === 'file' && !!namedFiles?.length && !req.files?.length
        ? await this.filesGone(loaded, namedFiles!)
        : [];
      const continuesNamed = !!left && continues && loaded.definition.kind === 'file' && !!namedFiles?.length && !req.files?.length && namedGone.length === 0;
      const takesOver = continuesForced || continuesNamed;
      if (takesOver) req = { ...req, ...(continuesForced ? { force: true } : {}), ...(continuesNamed ? { files: namedFiles! } : {}) };
      if (left) {
        await client.query(
          `UPDATE connector_run SET status = 'FAILED', finished_at = now(), error = $2 WHERE id = $1`,
          [left.id, JSON.stringify({
            code: 'CONNECTOR_RUN_INTERRUPTED',
            message: namedGone.length
              ? `the process running it stopped (a worker, or a CLI sync) while it read files given by name, since moved away (${namedGone.join(', ')}): `
                + `the rest of them was not read (give them again with --file); ${id} read the drop directory`
              : continues ? `the process running it stopped (a worker, or a CLI sync); ${id} continued from its checkpoint` : `the process running it stopped (a worker, or a CLI sync); ${id} read the source again from the beginning (forced)`,
          })],
        );
      }
      // Continuing another run's checkpoint counts as a resumption: one left RUNNING (closed above), or one that failed
      // part-way and left its checkpoint in the connector's state (QA: recorded resumed 0, as if it had read it all).
      // (A file read asked for other files by name does not go on with the stopped one.)
      const goesOn = continues && (!!left || (!(loaded.definition.kind === 'file' && req.files?.length) && stoppedPartWay(loaded.definition.kind,
        (await client.query<{ state: ReaderPosition | null }>('SELECT state FROM connector WHERE id = $1', [connectorId])).rows[0]?.state ?? null)));
      if (runId) {
        // Continuing another run's checkpoint counts as a resumption too (QA: logged resumed, stored 0). A run that
        // ended is not taken up again: FAILED is final (QA: a FAILED run became SUCCEEDED when its job's retry came),
        // and one closed as interrupted was taken over by a later run: its job coming back (a stalled job given out
        // again) finds it finished, and does not read the source again behind that run (QA).
        const claimed = await client.query(
          `UPDATE connector_run SET status = 'RUNNING', started_at = coalesce(started_at, now()), heartbeat_at = now(), finished_at = NULL, error = NULL,
                  next_attempt_at = NULL, job_id = $4, max_attempts = $5,
                  resumed = resumed + CASE WHEN status = 'RETRYING' OR $2 THEN 1 ELSE 0 END, ${holderSet('$3')},
                  ${missedAttemptsSet(6)}
            WHERE id = $1 AND status IN ('QUEUED', 'RETRYING') RETURNING batches, fetched, inserted, updated, unchanged, rejected,
                  files_ingested AS "filesIngested", files_skipped AS "filesSkipped", files_waiting AS "filesWaiting", repeated_ids AS "repeatedIds", resumed, checkpoint`,
          // A job's attempts that failed before they could claim the run (the database out of reach) are recorded too.
          [runId, goesOn, lockPid, jobId, maxAttempts, ...missedAttemptsParams(job, false)],
        );
        if (!claimed.rowCount) return null; // finished already (a repeated job)
        const { resumed, checkpoint, ...counts } = claimed.rows[0] as Record<string, number> & { checkpoint: ReaderPosition | null };
        if (takesOver) await client.query(`UPDATE connector_run SET options = options || $2::jsonb WHERE id = $1`, [runId, JSON.stringify(runOptions(req))]);
        return { id: runId, resumed: (resumed ?? 0) > 0 || goesOn, counts, checkpoint, takesOver: takesOver ? req : null };
      }
      await client.query(
        `INSERT INTO connector_run (id, connector_id, trigger, status, started_at, heartbeat_at, definition_hash, options, requested_by, resumed, lock_pid, lock_app, job_id, max_attempts)
         VALUES ($1, $2, $3, 'RUNNING', now(), now(), $4, $5, $6, $7, $8, current_setting('application_name'), $9, $10)`,
        // A scheduled run keeps the slot it is for (`scheduledAt`): one run late (a slot missed while no worker ran) says when it was due.
        [id, connectorId, req.trigger, loaded.definitionHash, JSON.stringify({ ...runOptions(req), ...(scheduledAt !== undefined ? { scheduledAt: new Date(scheduledAt).toISOString() } : {}) }),
          req.requestedBy ?? null, goesOn ? 1 : 0, lockPid, jobId, maxAttempts],
      );
      return { id, resumed: goesOn, counts: {}, checkpoint: null, takesOver: takesOver ? req : null };
    });
  }

  /** The files a run of the connector left RUNNING named (`--file`), if it named some. */
  private async namedFilesPending(connectorId: string): Promise<string[] | null> {
    const row = await this.deps.sql.one<{ files: unknown }>(
      `SELECT options->'files' AS files FROM connector_run WHERE connector_id = $1 AND status = 'RUNNING' ORDER BY started_at DESC NULLS LAST LIMIT 1`, [connectorId]);
    const files = row?.files;
    return Array.isArray(files) && files.length > 0 && files.every((f) => typeof f === 'string') ? (files as string[]) : null;
  }

  /**
   * Of the files a stopped run named (`--file`: absolute, or in the drop directory), those no longer there, by label
   * ({@link fileLabel}). A drop directory this process cannot resolve leaves the relative ones to the read, as before.
   */
  private async filesGone(loaded: LoadedConnector, files: readonly string[]): Promise<string[]> {
    let dir: string | null = null;
    try {
      const reader = await createReader(loaded, this.deps);
      dir = 'directory' in reader ? (reader as unknown as { directory(): string }).directory() : null;
    } catch {
      dir = null;
    }
    return files.filter((f) => (path.isAbsolute(f) ? !existsSync(f) : dir !== null && !existsSync(path.resolve(dir, f)))).map((f) => fileLabel(path.basename(f)));
  }

  /**
   * The named connector as its file says now, enabled. A definition added, edited or fixed after a worker or the
   * gateway started is taken without a restart (invalid definitions that reading finds are logged as errors),
   * so `syncConnector`, a queued job and the CLI agree on what exists.
   */
  private enabledConnector(name: string): LoadedConnector {
    const loaded = this.deps.catalog.current(name, (err) => logInvalidDefinition(this.deps.logger, err));
    if (!loaded.definition.enabled) throw new ConnectorDisabledError(name);
    return loaded;
  }

  /** Upserts the connector row from its definition file (the file is the source of truth). */
  async ensureConnector(loaded: LoadedConnector): Promise<string> {
    const d = loaded.definition;
    const row = await this.deps.sql.one<{ id: string }>(
      `INSERT INTO connector (id, name, kind, source_system, definition, definition_hash, enabled, schedule, title)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, source_system = EXCLUDED.source_system, definition = EXCLUDED.definition,
         definition_hash = EXCLUDED.definition_hash, enabled = EXCLUDED.enabled, schedule = EXCLUDED.schedule, title = EXCLUDED.title, updated_at = now()
       WHERE connector.definition_hash IS DISTINCT FROM EXCLUDED.definition_hash OR connector.enabled IS DISTINCT FROM EXCLUDED.enabled
       RETURNING id`,
      [newId('connector'), d.name, d.kind, d.sourceSystem, JSON.stringify(d), loaded.definitionHash, d.enabled, d.schedule ?? null, d.title],
    );
    if (row) return row.id;
    return (await this.connectorId(d.name))!;
  }

  private async connectorId(name: string): Promise<string | null> {
    const row = await this.deps.sql.one<{ id: string }>('SELECT id FROM connector WHERE name = $1', [name]);
    return row?.id ?? null;
  }

  private async state(connectorId: string): Promise<ReaderPosition | null> {
    return (await this.stateWithTime(connectorId)).state;
  }

  /** The connector's checkpoint and when it last changed. */
  private async stateWithTime(connectorId: string): Promise<{ state: ReaderPosition | null; at: Date | null }> {
    const row = await this.deps.sql.one<{ state: ReaderPosition | null; at: Date | null }>('SELECT state, state_updated_at AS at FROM connector WHERE id = $1', [connectorId]);
    return { state: row?.state ?? null, at: row?.at ?? null };
  }

  /** The mapping every page behind the connector's checkpoint was read with; null when not known or mixed. */
  private async statePathsHad(connectorId: string): Promise<string[]> {
    const row = await this.deps.sql.one<{ p: unknown }>('SELECT state_paths_had AS p FROM connector WHERE id = $1', [connectorId]);
    return Array.isArray(row?.p) ? row.p.filter((x): x is string => typeof x === 'string') : [];
  }

  private async stateReadWith(connectorId: string): Promise<string | null> {
    const row = await this.deps.sql.one<{ h: string | null }>('SELECT state_read_with AS h FROM connector WHERE id = $1', [connectorId]);
    return row?.h ?? null;
  }

  /**
   * The checksums a sync took in the last day of the files now in the connector's drop directory, by their
   * description (`checksumKey`, file-reader). Older ones are not used: each file is hashed again at least once a day,
   * so a file whose description was fooled (a volume built with the same times) is read within a day, not never.
   */
  private async dropChecksums(connectorId: string): Promise<Map<string, string>> {
    const rows = await this.deps.sql.query<{ stat: string; checksum: string }>(
      `SELECT file_stat AS stat, checksum FROM drop_file_checksum WHERE connector_id = $1 AND taken_at > now() - interval '${DROP_CHECKSUM_TRUSTED_HOURS} hours'`,
      [connectorId]);
    return new Map(rows.map((r) => [r.stat, r.checksum]));
  }

  /**
   * Keeps the checksums just taken, and forgets those of files no longer in the drop directory (`listed`: every
   * file as the read listed it; null when files were given by name, which says nothing of the others).
   */
  private async rememberDropChecksums(connectorId: string, taken: ReadonlyArray<{ stat: string; checksum: string }>, listed: readonly string[] | null): Promise<void> {
    if (listed) await this.deps.sql.query('DELETE FROM drop_file_checksum WHERE connector_id = $1 AND NOT (file_stat = ANY($2::text[]))', [connectorId, listed]);
    if (!taken.length) return;
    await this.deps.sql.query(
      `INSERT INTO drop_file_checksum (connector_id, file_stat, checksum)
       SELECT $1, s, c FROM unnest($2::text[], $3::text[]) AS t(s, c)
       ON CONFLICT (connector_id, file_stat) DO UPDATE SET checksum = EXCLUDED.checksum, taken_at = now()`,
      [connectorId, taken.map((t) => t.stat), taken.map((t) => t.checksum)],
    );
  }

  private async isSizeIngested(connectorId: string, sizeBytes: number): Promise<boolean> {
    const row = await this.deps.sql.one('SELECT 1 FROM ingested_file WHERE connector_id = $1 AND size_bytes = $2 LIMIT 1', [connectorId, sizeBytes]);
    return !!row;
  }

  /**
   * Marks the files a forced read refused whose bytes the connector ingested before ({@link RefusedFile.ingestedBefore}):
   * a plain sync skips those. One statement.
   */
  private async markIngestedBefore(connectorId: string, refused: RefusedFile[]): Promise<void> {
    const checksums = refused.flatMap((f) => (f.checksum ? [f.checksum] : []));
    if (!checksums.length) return;
    const rows = await this.deps.sql.query<{ checksum: string }>(
      'SELECT DISTINCT checksum FROM ingested_file WHERE connector_id = $1 AND checksum = ANY($2::text[])', [connectorId, checksums]);
    const before = new Set(rows.map((r) => r.checksum));
    for (const f of refused) if (f.checksum && before.has(f.checksum)) f.ingestedBefore = true;
  }

  private async isFileIngested(connectorId: string, checksum: string): Promise<boolean> {
    return (await this.fileIngestedBy(connectorId, checksum)) !== null;
  }

  /** The run that ingested the connector's file with this checksum ('' if none is recorded), or null when none did. */
  private async fileIngestedBy(connectorId: string, checksum: string): Promise<string | null> {
    const row = await this.deps.sql.one<{ run: string | null }>(
      'SELECT connector_run_id AS run FROM ingested_file WHERE connector_id = $1 AND checksum = $2', [connectorId, checksum]);
    return row ? (row.run ?? '') : null;
  }
}

/** How long a checksum kept of a drop's file stands for it (`drop_file_checksum.taken_at`). */
const DROP_CHECKSUM_TRUSTED_HOURS = 24;

/** Records identified, looked up and mapped together while a batch is staged. */
const SLICE = 500;

/** A raw child record's external id, and its content hash with the JSON it was computed from (if it was). */
interface Identified {
  externalId: string;
  hash: string;
  json: string | Buffer | undefined;
}

/** A slice identified and being looked up, waiting to be mapped. */
interface PendingSlice {
  start: number;
  identified: Array<Identified | null>;
  /** Stored rows of the slice's changed records by index in the slice (null: nothing stored); unchanged ones are absent. */
  lookup: Promise<Map<number, StoredRow | null>>;
  /** Keys this sync wrote already: written by key, whatever the look-up says (see {@link KnownRecords}). */
  byKey: ReadonlySet<string>;
  /** Judged against {@link KnownRecords} (its keys need no tracking for the next batch); false: looked up. */
  judged: boolean;
}

const NO_KEYS: ReadonlySet<string> = new Set();

/** Stands for a record the reader recognised by its text (`RawRecord.known`), not identified: see `judgeSlice`. */
const RECOGNISED: Identified = Object.freeze({ externalId: '', hash: '', json: undefined });

/**
 * {@link RecordMapper.identify} and the content hash of records `start` to `end` (exclusive). A record the
 * reader recognised is {@link RECOGNISED} when the slice is `judged` (by the table that recognised it), else
 * identified like the others.
 */
async function identify(records: RawRecord[], start: number, end: number, mapper: RecordMapper, mappingHash: string, judged: boolean): Promise<Array<Identified | null>> {
  const out: Array<Identified | null> = new Array(end - start);
  for (let i = start; i < end; i++) {
    const y = yieldIfBusy();
    if (y) await y;
    const raw = records[i]!;
    out[i - start] = judged && raw.known !== undefined ? RECOGNISED : identifyOne(raw, mapper, mappingHash);
  }
  return out;
}

function identifyOne(raw: RawRecord, mapper: RecordMapper, mappingHash: string): Identified | null {
  const externalId = mapper.identify(raw);
  if (externalId === null) return null;
  if (raw.text !== undefined) {
    return { externalId, hash: contentHash(mappingHash, raw), json: undefined };
  }
  if (raw.json !== undefined) return { externalId, hash: contentHash(mappingHash, raw), json: raw.json };
  const json = JSON.stringify(raw.data);
  return { externalId, hash: hashRecord(mappingHash, raw, json), json };
}

/** How long a dry run waits for facility rows a sync holds before it gives up comparing them. */
const DRY_RUN_LOCK_TIMEOUT_MS = 300;

/** Rows offered before a sync decides whether recognising them by their text is worth its index. */
const RECOGNISE_TRIAL = 2000;

/**
 * Lets the reader recognise unchanged records by their text, once the sync judges records against what
 * the source has stored (and it has stored something): see {@link KnownRecords.storedSlot}. A read whose
 * first {@link RECOGNISE_TRIAL} rows offered are under a tenth stored as they are (new records, a changed
 * mapping) stops offering and lets the content index go: its records are parsed as they would be anyway.
 */
function textRecogniser(known: KnownRecordsHandover, mappingHash: string, open: OpenRejects): TextRecogniser {
  let offered = 0;
  let recognised = 0;
  let worthIt = true;
  return {
    get active() {
      if (!worthIt) return false;
      const table = known.settledTable;
      return table !== null && table.size > 0;
    },
    recognise(text, layout, recordType) {
      const table = known.settledTable;
      if (table === null || !worthIt) return null;
      const hash = textHash(mappingHash, recordType, layout, text);
      const token = table.storedSlot(hash);
      if (token >= 0) recognised++;
      // Stored as it is but with an open reject: identified like a changed one, for its reject to be resolved.
      if (token >= 0 && open.storedWithOpenReject(hash)) return hash;
      if (++offered === RECOGNISE_TRIAL && recognised * 10 < offered) {
        worthIt = false;
        table.dropContentIndex();
      }
      return token >= 0 ? token : hash;
    },
  };
}

/** The checksum of the file a file reader's batch is from (its position), or null. */
function fileChecksumOf(position: ReaderPosition): string | null {
  const file = (position as { file?: { checksum?: unknown } }).file;
  return typeof file?.checksum === 'string' ? file.checksum : null;
}

/**
 * What a staged batch held, for the lists its file holds whole: every external id of `sourceSystem` it read (valid,
 * unchanged or refused), which of them it read valid, and whether it held a list's record whose id could not be read.
 */
function chunkListed(staged: StagedBatch, sourceSystem: string): ChunkListed {
  const prefix = `${sourceSystem}\u0000`;
  const stored = new Set<string>();
  for (const key of staged.ingest.records.keys()) if (key.startsWith(prefix)) stored.add(key.slice(prefix.length));
  const refused = new Set<string>();
  for (const r of [...staged.rejects, ...staged.ingest.quarantined]) if (r.externalId != null && r.sourceSystem === sourceSystem) refused.add(r.externalId);
  const held = new Set<string>([...(staged.listing?.ids ?? []), ...stored, ...refused]);
  // Read valid: written now, or found unchanged (identified, and neither written nor refused).
  const valid = new Set<string>([...held].filter((id) => stored.has(id) || !refused.has(id)));
  const unidentified = (staged.listing?.unidentified ?? false) || staged.ingest.quarantined.some((r) => r.externalId == null);
  return { held: [...held], valid, unidentified };
}

/** A batch read and prepared, waiting for its transaction. */
interface StagedBatch {
  /**
   * Paths of groups and projections some record of the run had up to this batch (an HTTP read's; null for files), saved with
   * its checkpoint (`connector.state_paths_had`) so that a read going on from it starts from them.
   */
  pathsHad?: string[] | null;
  /** The batch as read; its records are released as they are staged. */
  batch: ReadBatch;
  /** Records and reader rejects the batch held. */
  fetched: number;
  /** Its child records, validated, normalised and encoded. */
  ingest: PreparedIngest;
  /** Encoded projections of each ingest item, by item index (one entry per item). */
  projections: Array<EncodedProjections | null>;
  facilities: Array<{ sourceSystem: string; externalId: string; projections: Projections }>;
  /** Records the reader or the mapping refused. */
  rejects: QuarantinedRecord[];
  /** Records dropped before mapping because their content hash equals the stored one. */
  unchanged: number;
  /** `source system \0 external id` of every record of the batch that has one. */
  keys: Set<string>;
  /**
   * With lists a file holds whole (`wholeLists`): the ids `identify` gave the batch's records (unchanged ones included), the
   * record types of the lists, and whether a record of one of them had no readable id; else null.
   */
  listing: { ids: string[]; types: ReadonlySet<string>; unidentified: boolean } | null;
  /** External ids with an open reject that the batch stores valid or reads valid and unchanged (see {@link resolvable}). */
  resolves: string[];
  /**
   * Where in the batch the reader or the mapping last refused a copy of an id: the index of the item after it,
   * less a half (items are numbered in the batch's order); a broken row, whose place is not known, at Infinity.
   */
  rejectedAt: Map<string, number>;
  /** Where a copy of a refused id was read valid and unchanged after its refusal (as `rejectedAt`). */
  validAt: Map<string, number>;
  /**
   * While another connector of the system is defined (narrower-rewrite.ts): what each record to be written holds, by its
   * external id ({@link givenMask}); else null.
   */
  given: Map<string, number> | null;
}

/**
 * The external ids whose open rejects a staged batch resolves: the records it stores or finds valid and
 * unchanged, the rejects of its own included (QA: an id refused and then read valid in the same chunk left its
 * reject open), unless the batch's last copy of the id is a refused one.
 */
function resolvable(staged: StagedBatch, sourceSystem: string): string[] {
  const rejectedAt = new Map(staged.rejectedAt);
  for (const r of staged.ingest.rejects) if (r.externalId !== null) rejectedAt.set(r.externalId, Math.max(rejectedAt.get(r.externalId) ?? -1, r.index));
  if (staged.resolves.length === 0 && rejectedAt.size === 0) return [];
  const out: string[] = [];
  for (const id of new Set([...staged.resolves, ...rejectedAt.keys()])) {
    const rejected = rejectedAt.get(id);
    const valid = Math.max(staged.ingest.records.get(`${sourceSystem}\u0000${id}`)?.index ?? -1, staged.validAt.get(id) ?? -1);
    if (rejected === undefined || valid > rejected) out.push(id);
  }
  return out;
}

/** What a staged raw record's place in its batch holds once the record is mapped. */
const RELEASED = null as unknown as RawRecord;

function itemKey(item: IngestItem): string {
  const input = item.input as { sourceSystem?: unknown; externalId?: unknown };
  return `${String(input?.sourceSystem)}\u0000${String(input?.externalId)}`;
}

/**
 * A record's content hash as a connector stores it: the raw record with the mapping that reads it. Same
 * raw record and same mapping always give the same source record, so equal hashes mean "unchanged". The
 * raw record is its text where the reader has it ({@link RawRecord.text}), its JSON as the source sent it
 * where the reader has that ({@link RawRecord.json}), else its data as JSON. The hash the reader's
 * recogniser computed already ({@link RawRecord.contentHash}) is that same hash, reused.
 *
 * JSON as sent and data as JSON are hashed alike, so a source that writes its JSON as `JSON.stringify`
 * does (compact, members in order, characters as they are) gets the same hash either way. A source that
 * writes it otherwise (spaces, `\u` escapes) hashes what it sent: a record is "changed" when its JSON
 * is, and the first sync after an upgrade that started hashing the bytes rewrites such a source's records once.
 */
export function contentHash(mappingHash: string, raw: RawRecord): string {
  if (raw.contentHash !== undefined) return raw.contentHash;
  if (raw.text !== undefined) return textHash(mappingHash, raw.recordType, raw.textLayout?.id, raw.text);
  return hashRecord(mappingHash, raw, raw.json ?? JSON.stringify(raw.data));
}

/**
 * The content hash of a record's text: about 0.7 µs for a 160-character CSV row here, against 3.6 µs for
 * JSON of its data and the hash of that. The input cannot equal a JSON one (after the record type, that
 * goes on with `{`).
 */
function textHash(mappingHash: string, recordType: string | undefined, layout: string | undefined, text: string): string {
  return hash('sha256', `${mappingHash}\n${recordType ?? ''}\ntext\n${layout ?? ''}\n${text}`, 'base64url');
}

/** Bytes a record's hash input is written into: reused, so hashing allocates nothing but the digest. */
const hashInput = Buffer.allocUnsafeSlow(1 << 16);

/** The hash of the mapping, the record type and the record's JSON (text, or its UTF-8 bytes: the same hash for the same JSON). */
function hashRecord(mappingHash: string, raw: RawRecord, json: string | Buffer): string {
  const prefix = `${mappingHash}\n${raw.recordType ?? ''}\n`;
  if (typeof json !== 'string') {
    if (prefix.length * 3 + json.length > hashInput.length) return hash('sha256', Buffer.concat([Buffer.from(prefix, 'utf8'), json]), 'base64url');
    const n = hashInput.write(prefix, 0, 'utf8');
    return hash('sha256', hashInput.subarray(0, n + json.copy(hashInput, n)), 'base64url');
  }
  // At most three bytes per UTF-16 unit; a record too large for the buffer is hashed from a joined string.
  if ((prefix.length + json.length) * 3 > hashInput.length) return hash('sha256', `${prefix}${json}`, 'base64url');
  const n = hashInput.write(prefix, 0, 'utf8');
  return hash('sha256', hashInput.subarray(0, n + hashInput.write(json, n, 'utf8')), 'base64url');
}

/** A running sync's beats (see {@link startHeartbeat}). */
interface Heartbeat {
  /** Stops beating, once the beat under way (if any) has ended. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Beats every `everyMs` for run `runId` on connection `lock` (the sync lock's own, idle otherwise): its
 * `heartbeat_at` becomes now. One beat at a time; a beat that fails (the connection lost, which the sync is told
 * of through the lock) is let go.
 */
function startHeartbeat(lock: PoolClient, runId: string, everyMs: number): Heartbeat {
  let beating: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (beating) return;
    beating = lock.query(`UPDATE connector_run SET heartbeat_at = now() WHERE id = $1 AND status = 'RUNNING'`, [runId])
      .catch(() => undefined)
      .finally(() => {
        beating = null;
      });
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await beating;
    },
  };
}

function zeroCounts(): RunCounts {
  return { batches: 0, fetched: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, filesIngested: 0, filesSkipped: 0, filesWaiting: 0, repeatedIds: 0 };
}

function addCounts(into: RunCounts, d: RunCounts): void {
  into.batches += d.batches;
  into.fetched += d.fetched;
  into.inserted += d.inserted;
  into.updated += d.updated;
  into.unchanged += d.unchanged;
  into.rejected += d.rejected;
  into.filesIngested += d.filesIngested;
  into.repeatedIds += d.repeatedIds;
}

/** The run a sync is: {@link ConnectorSyncService.claimRun}. */
interface ClaimedRun {
  id: string;
  resumed: boolean;
  counts: Partial<RunCounts>;
  checkpoint: ReaderPosition | null;
  /**
   * This run goes on with a file read another run stopped part-way, forced or of files that run named: the request it
   * reads by then (forced as that run was, of the files it named), else null.
   */
  takesOver: SyncRequest | null;
}

function runOptions(req: SyncRequest): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (req.files?.length) o.files = req.files;
  if (req.force) o.force = true;
  if (req.mappingChanged) o.mappingChanged = true;
  return o;
}

/**
 * Whether a read starting at `state` reads the whole source from its first page: no checkpoint of a run in
 * progress (an HTTP position with `page`), and, for an incremental source, no high-water mark (a first read,
 * or a forced one, which starts from no state).
 */
function readsFromBeginning(state: ReaderPosition | null, incremental: boolean): boolean {
  if (state === null) return true;
  if ('page' in state) return false;
  return !incremental || highWaterOf(state) === null;
}

/** Records a batch brings: those read and those the reader refused. */
function fetchedOf(batch: ReadBatch): number {
  return batch.records.length + (batch.rejects?.length ?? 0);
}

function runError(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  const s = serializeError(err instanceof Error ? err : new Error(String(err)));
  return { code: typeof e.code === 'string' ? e.code : 'CONNECTOR_SYNC_FAILED', message: String(s.message ?? '') };
}

/** A file left for a later sync, as a dry run shows it. */
function waitingMessage(e: Extract<ReaderEvent, { type: 'file-waiting' }>): string {
  if (e.modifiedSecondsAgo < 0) {
    return `${e.fileName} left for a later sync: its modification time is ${-e.modifiedSecondsAgo} s in the future (the clock of what wrote it?); ` +
      `it is read once that time is file.settleSeconds (${e.settleSeconds} s) past`;
  }
  return `${e.fileName} left for a later sync: modified ${e.modifiedSecondsAgo} s ago, less than file.settleSeconds (${e.settleSeconds} s) ago, so maybe still being written`;
}

function eventFields(e: ReaderEvent): Record<string, unknown> {
  // A sheet's columns and name, and a refused file's whole message, can hold the file's text (its first data
  // row, in a file without a header row): not logged (a refusal's `storedMessage` is what logs may keep).
  // A refused file's real name is for the server's terminal only (see ReaderEvent).
  const { type: _t, columns: _c, message: _m, where: _w, realName: _r, ...rest } = e as ReaderEvent & Record<string, unknown>;
  return rest;
}

/** A record's location as a log may show it: `a.xlsx sheet "Trẻ em" row 3` → `a.xlsx row 3` (a sheet's name is the file's text). */
function withoutSheetName(location: string): string {
  return location.replace(/ sheet "[^"]*"/, '');
}

/**
 * Holds a staged batch whose records would lose values the copies another connector of the system, defined here, stored
 * last hold ({@link narrowerLoss}, {@link MappingNarrowerError}). Its new records are not looked at.
 */
async function holdNarrowerPage(sql: Sql, connector: string, staged: StagedBatch, narrower: NarrowerJudging): Promise<void> {
  if (narrower.siblings.length === 0 || !staged.given) return;
  // The records to be written that may be stored already (new ones, and those validation refuses, lose nothing).
  const given = new Map<string, number>();
  for (const r of staged.ingest.records.values()) {
    if (r.stored === null) continue;
    const id = r.key.slice(r.key.indexOf('\u0000') + 1);
    const mask = staged.given.get(id);
    if (mask !== undefined) given.set(id, mask);
  }
  const losses = await narrowerLoss(sql, narrower, given);
  if (losses.length) throw new MappingNarrowerError(connector, staged.batch.location, staged.fetched, losses);
}

/**
 * Whether a connector's stored position is a read stopped part-way, which its next run goes on from: an HTTP read
 * with a next request, a file read inside a file.
 */
function stoppedPartWay(kind: string, state: ReaderPosition | null): boolean {
  if (state === null || typeof state !== 'object') return false;
  if (kind === 'http') return (state as { next?: unknown }).next != null;
  return (state as { file?: unknown }).file != null && (state as { completed?: unknown }).completed !== true;
}

/** How attempts that could not record their failure (the database out of reach) are recorded by a later one. */
const LOST_ATTEMPT = {
  code: 'CONNECTOR_LOCK_LOST',
  message: 'the database could not be reached when this attempt failed (PostgreSQL restarted, or the connection was lost), so it was recorded '
    + 'by a later attempt, which went on from the checkpoint of the last stored batch (failedAt: the run\'s last sign of life)',
} as const;
const UNREACHABLE_ATTEMPT = {
  code: 'CONNECTOR_DATABASE_UNREACHABLE',
  message: 'this attempt could not reach the database to begin (PostgreSQL down or restarting), so it was recorded by a later attempt (failedAt: when it was recorded)',
} as const;

/**
 * `failed_attempts` with every attempt of the run's job before this one that it does not hold (see claimRun): the
 * statement's parameters from `$p`: how many attempts came before this one, whether the first missing one held the run
 * (its database lost under it: `CONNECTOR_LOCK_LOST`, at the run's last beat; the others could not reach the database),
 * and the two kinds' codes and messages ({@link missedAttemptsParams}).
 */
function missedAttemptsSet(p: number): string {
  const [n, lostFirst, lostCode, lostMessage, code, message] = [0, 1, 2, 3, 4, 5].map((i) => `$${p + i}`);
  const stamp = (t: string) => `to_char(${t} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  return `failed_attempts = failed_attempts || coalesce((
      SELECT jsonb_agg(CASE WHEN ${lostFirst}::boolean AND m.a = m.first
                            THEN jsonb_build_object('attempt', m.a, 'code', ${lostCode}::text, 'message', ${lostMessage}::text, 'failedAt', ${stamp('coalesce(heartbeat_at, now())')})
                            ELSE jsonb_build_object('attempt', m.a, 'code', ${code}::text, 'message', ${message}::text, 'failedAt', ${stamp('now()')}) END ORDER BY m.a)
        FROM (SELECT a, min(a) OVER () AS first FROM generate_series(1, ${n}::int) AS a
               WHERE NOT failed_attempts @> jsonb_build_array(jsonb_build_object('attempt', a))) m), '[]'::jsonb)`;
}

function missedAttemptsParams(job: SyncJobAttempt | undefined, lostFirst: boolean): [number, boolean, string, string, string, string] {
  return [job ? job.attempt - 1 : 0, lostFirst, LOST_ATTEMPT.code, LOST_ATTEMPT.message, UNREACHABLE_ATTEMPT.code, UNREACHABLE_ATTEMPT.message];
}

/**
 * Whether the connector's records' `sourceUpdatedAt` is when the source last changed them: an HTTP connector whose
 * records take it from its incremental cursor field. Their older copies then never replace newer ones (see
 * IngestOptions.keepNewerStored); a register's own dates (of a registration, an inspection) may be corrected earlier.
 */
function stampsLastChange(definition: LoadedConnector['definition']): boolean {
  const cursor = definition.kind === 'http' ? definition.http?.incremental?.cursorField : undefined;
  if (!cursor || !definition.records?.length) return false;
  return definition.records.every((r) => {
    const spec = (r.fields as Record<string, unknown> | undefined)?.['sourceUpdatedAt'];
    const from = typeof spec === 'string' ? spec : (spec as { from?: unknown } | undefined)?.from;
    return from === cursor;
  });
}
