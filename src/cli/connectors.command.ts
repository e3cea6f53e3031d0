import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import type { Logger } from 'pino';
import { config as loadConfig } from '../config/config.js';
import { ConfigError } from '../errors/config-error.js';
import pg from 'pg';
import { CONNECTORS_DIR, ConnectorCatalog, connectorsDirProblem, folderOf, loadDefinitionFile, type LoadedConnector } from '../connectors/definition/connector-catalog.js';
import { RecordIdsChangedError } from '../connectors/sync/record-ids-changed.error.js';
import { recordIdHashes, recordIdsChange } from '../connectors/sync/record-ids.js';
import { DefinitionInvalidError, type DefinitionProblem } from '../connectors/definition/definition-invalid.error.js';
import { createReader } from '../connectors/sync/reader-factory.js';
import { headersWarning } from '../connectors/mapping/mapping-columns.js';
import type { FailedRun, RunSummary } from '../connectors/sync/connector-sync.service.js';
import { fileReread } from '../connectors/sync/forced-read.js';
import type { RunRemovals } from '../connectors/sync/removals.js';
import { ConnectorReadRepository } from '../db/repositories/connector-read.repository.js';
import { boot, bootLogger, interrupted } from './bootstrap.js';
import { auditShownValues, maskedRecord } from './dry-run-values.js';
import { DatabaseOutageWait } from './database-outage-wait.js';
import { rejectsCommand } from './connector-rejects.command.js';
import { freshnessLine } from './connector-freshness.format.js';
import { rekeyCommand } from './connector-rekey.command.js';
import { attemptsLine, checkpointLine, lastRunLine, progressLine, rejectsAndSuccessLine, removalsLines, requestedRunLine, retryingLine, type FailedAttemptRow, type ProgressCounts } from './connector-runs.format.js';
import { OUTBOX_TOPICS } from '../services/outbox/outbox.writer.js';
import { dryRunSummary } from './dry-run-summary.js';

const out = (s = '') => process.stdout.write(`${s}\n`);

/** `childhub connectors …`: list, validate, check, dry-run and sync the definitions under `connectors/`, list their rejects, rekey their records. */
export function connectorsCommand(): Command {
  const cmd = new Command('connectors').description('Connectors to the agency systems (definitions under connectors/).');

  cmd
    .command('list')
    .description('Every definition: kind, source, schedule, last run, last new data and checkpoint.')
    .action(async () => {
      const b = await boot({ migrate: 'auto', pretty: true });
      try {
        const catalog = b.ctx.connectors.catalog;
        const rows = await b.ctx.sql.query<{
          name: string; kind: string; source_system: string; title: string | null;
          status: string | null; created_at: Date | null; started_at: Date | null; finished_at: Date | null; fetched: number | null; rejected: number | null; repeated_ids: number | null; state: unknown;
          error: { code: string } | null; failed_attempts: FailedAttemptRow[] | null; max_attempts: number | null; next_attempt_at: Date | null;
          silent_ms: number | null; queued_behind: boolean | null;
        }>(
          // The run in progress when there is one, else the newest (QA: a sync queued behind a running one hid its progress).
          `SELECT c.name, c.kind, c.source_system, c.title, r.status, r.created_at, r.started_at, r.finished_at, r.fetched, r.rejected, r.repeated_ids, r.error,
                  r.failed_attempts, r.max_attempts, r.next_attempt_at, c.state,
                  CASE WHEN r.status = 'RUNNING' THEN (extract(epoch FROM now() - r.heartbeat_at) * 1000)::float8 END AS silent_ms,
                  r.status IN ('RUNNING', 'RETRYING') AND EXISTS (SELECT 1 FROM connector_run q WHERE q.connector_id = c.id AND q.status = 'QUEUED') AS queued_behind
             FROM connector c LEFT JOIN LATERAL (SELECT * FROM connector_run WHERE connector_id = c.id
                                                  ORDER BY status IN ('RUNNING', 'RETRYING') DESC, created_at DESC LIMIT 1) r ON true`,
        );
        const byName = new Map(rows.map((r) => [r.name, r]));
        // As GraphQL's Connector.openRejects and lastSucceededRun count them.
        const reads = new ConnectorReadRepository(b.ctx.sql);
        const openRejects = new Map((await reads.openRejectCounts()).map((r) => [r.name, r.open_rejects]));
        const succeeded = new Map((await reads.lastSucceededRuns()).map((r) => [r.connector_name, { runId: r.id, finishedAt: r.finished_at }]));
        // As GraphQL's Connector.lastNewDataAt and lastFileIngestedAt.
        const fresh = new Map((await reads.freshness()).map((r) => [r.name, { lastNewDataAt: r.last_new_data_at, lastFileIngestedAt: r.last_file_ingested_at }]));
        const line = (name: string, kind: string, source: string, when: string, last: (typeof rows)[number] | undefined) => {
          out(`${name.padEnd(22)} ${kind.padEnd(5)} ${source.padEnd(20)} ${when.padEnd(16)} ${
            lastRunLine(last?.status ? {
              status: last.status, requestedAt: last.created_at, startedAt: last.started_at, finishedAt: last.finished_at, fetched: last.fetched ?? 0, rejected: last.rejected ?? 0,
              repeatedIds: last.repeated_ids ?? 0, errorCode: last.error?.code ?? null,
              failedAttempts: last.failed_attempts ?? [], maxAttempts: last.max_attempts, nextAttemptAt: last.next_attempt_at,
              silentMs: last.silent_ms, stallMs: b.config.CONNECTOR_STALL_MS,
            } : undefined)}${last?.queued_behind ? '; another sync queued behind it' : ''}`);
          if (last?.status) out(`  ${rejectsAndSuccessLine(openRejects.get(name) ?? 0, succeeded.get(name))}`);
          if (last?.status) out(`  ${freshnessLine(fresh.get(name) ?? { lastNewDataAt: null, lastFileIngestedAt: null }, last.kind)}`);
        };
        // Every connector folder, valid or not, and every connector that ran here whose folder is gone, in name
        // order, as GraphQL `connectors` lists them (QA: an invalid one showed only its problems, a removed one nothing).
        const invalid = new Map(catalog.invalid.map((e) => [folderOf(e.file), e]));
        const names = [...new Set([...catalog.folderNames(), ...byName.keys()])].sort();
        for (const name of names) {
          const last = byName.get(name);
          const bad = invalid.get(name);
          if (bad) {
            // Not scheduled nor synced: what it is as it last ran, or as the file says, then why.
            line(name, last?.kind ?? bad.declared.kind ?? '?', last?.source_system ?? bad.declared.sourceSystem ?? '?', 'INVALID', last);
            out(`  ${last?.title ?? bad.declared.title ?? name}`);
            for (const l of bad.message.split('\n')) out(`  ${l}`);
          } else if (!catalog.names().includes(name)) {
            line(name, last!.kind, last!.source_system, 'REMOVED', last);
            // Also one defined in another directory that another process reads (QA: the demo's four listed REMOVED from a shell with its own CONNECTORS_DIR).
            out(`  ${last!.title ?? name} (no definition in ${catalog.dir} (CONNECTORS_DIR): removed, or defined in the directory of another process; its runs and quarantine stay readable)`);
          } else {
            const d = catalog.get(name).definition;
            line(name, d.kind, d.sourceSystem, d.enabled ? d.schedule ?? 'on demand' : 'disabled', last);
            out(`  ${d.title}`);
            if (d.enabled && d.removals?.fullReadSchedule) out(`  full read (finds records gone from the source) ${d.removals.fullReadSchedule}`);
            for (const m of d.records) {
              if (m.wholeLists) out(`  lists held whole: ${m.wholeLists.projection}.${m.wholeLists.field} (a record a later file leaves out of its list is marked absent)`);
            }
          }
          const checkpoint = checkpointLine(last?.state, bad || !catalog.names().includes(name) ? undefined : catalog.get(name).definition);
          if (checkpoint) out(`  ${checkpoint}`);
        }
      } finally {
        await b.shutdown();
      }
    });

  cmd.addCommand(rejectsCommand());
  cmd.addCommand(rekeyCommand());

  cmd
    .command('validate')
    .description('Check definitions against the schema (all, the named ones, or --file); errors name file, line, path and reason.')
    .argument('[names...]', 'connector names (default: all)')
    .option('--file <path...>', 'definition files to check instead')
    .action((names: string[], opts: { file?: string[] }) => {
      const cfg = loadConfig();
      let bad = 0;
      /** `fn` throws when the definition is invalid; it returns what is noted about a valid one. */
      const report = (label: string, fn: () => DefinitionProblem[]) => {
        try {
          const notes = fn();
          out(`ok       ${label}`);
          for (const n of notes) out(`note     ${label}${n.line ? `:${n.line}` : ''} ${n.path}: ${n.message}`);
        } catch (err) {
          bad++;
          if (err instanceof DefinitionInvalidError) out(err.message);
          else out(`INVALID  ${label}: ${(err as Error).message}`);
        }
      };
      // The named connectors, and the --file drafts; all connectors when neither is given (QA: names given with
      // --file were ignored).
      if (names.length || !opts.file?.length) {
        // A connectors directory that is not there is said, not taken for one with nothing wrong (QA: exit 0, no output).
        const dir = cfg.CONNECTORS_DIR ?? CONNECTORS_DIR;
        if (connectorsDirProblem(dir) === 'does not exist') throw new ConfigError(`The connectors directory ${dir} does not exist (CONNECTORS_DIR)`, ['CONNECTORS_DIR']);
        const catalog = ConnectorCatalog.load(cfg.CONNECTORS_DIR);
        for (const n of names.length ? names : catalog.folderNames()) report(n, () => {
          catalog.get(n);
          return [];
        });
      }
      // A draft kept elsewhere is checked before it is put in its folder: the folder-name rule is a note then. Named
      // as it was given, valid or not (QA: an invalid one was named from the project's root, a valid one as given).
      // Through links too (QA: a file of the catalog named through a linked folder was taken for a draft).
      const real = (p: string) => {
        try {
          return realpathSync(p);
        } catch {
          return path.resolve(p);
        }
      };
      const inCatalog = (f: string) => real(path.dirname(path.dirname(path.resolve(f)))) === real(cfg.CONNECTORS_DIR ?? CONNECTORS_DIR);
      for (const f of opts.file ?? []) {
        report(f, () => loadDefinitionFile(path.resolve(f), { folderName: inCatalog(f) ? 'error' : 'note', displayName: f, connectorsDir: cfg.CONNECTORS_DIR ?? CONNECTORS_DIR }).notes);
      }
      process.exitCode = bad ? 1 : 0;
    });

  cmd
    .command('check')
    .description('Check credentials and reachability: fetch the first page (or list the drop directory). Writes nothing.')
    .argument('<name>')
    .action(async (name: string) => {
      const cfg = loadConfig();
      const logger = bootLogger(cfg, true);
      const loaded = ConnectorCatalog.load(cfg.CONNECTORS_DIR).get(name);
      const warnings: string[] = [];
      // A drop's file it would refuse that this connector ingested already is skipped by a sync: check asks the database,
      // when it is named (DATABASE_URL), and only for such a file.
      const ingested = cfg.DATABASE_URL && loaded.definition.kind === 'file' ? await ingestedFiles(cfg.DATABASE_URL, loaded) : null;
      if (ingested?.note) warnings.push(ingested.note);
      const result = await (await createReader(loaded, { logger })).check({
        onEvent: (e) => {
          const w = headersWarning(loaded.definition.records, e);
          if (w) warnings.push(w);
        },
        ...(ingested?.has ? { isFileIngested: ingested.has } : {}),
      }).finally(() => ingested?.close());
      const unanswered = ingested?.unanswered();
      if (unanswered) warnings.push(`could not ask the database which files this connector ingested already (${unanswered}): a file failed above may be one a sync skips`);
      for (const s of result.steps) out(`${s.ok ? 'ok  ' : 'FAIL'} ${s.step}${s.detail ? ` — ${s.detail}` : ''}`);
      // Against the stored records, when the database is named (DATABASE_URL): check starts no server.
      const ids = cfg.DATABASE_URL ? await storedRecordIds(cfg.DATABASE_URL, loaded) : null;
      if (ids && 'refused' in ids) out(`FAIL record ids — ${ids.refused}`);
      else if (ids && 'unknown' in ids) warnings.push(`record ids not compared with the stored records: ${ids.unknown}`);
      else if (ids) out('ok   record ids — those its stored records were stored under (or none stored)');
      for (const w of warnings) out(`WARN ${w}`);
      process.exitCode = result.ok && !(ids && 'refused' in ids) ? 0 : 1;
    });

  cmd
    .command('dry-run')
    .description('Fetch and map one page or chunk from the current checkpoint, validate it, and print mapped records and rejects. Writes nothing.')
    .argument('<name>')
    .option('--limit <n>', 'mapped records to print', (v) => Number.parseInt(v, 10), 5)
    .option('--file <path...>', 'read these files (file connectors)')
    .option('--force', 'as a forced sync would read: an API from its first page, files already ingested too')
    .option('--show-values', 'print the mapped values themselves (personal data: audited as a read of every class by your user), not their kinds')
    .action(async (name: string, opts: { limit: number; file?: string[]; force?: boolean; showValues?: boolean }) => {
      const b = await boot({ migrate: 'auto', pretty: true });
      try {
        const r = await b.ctx.connectors.dryRun(name, { limit: opts.limit, files: opts.file?.map(givenFilePath), force: !!opts.force });
        out(dryRunSummary(name, r));
        for (const w of r.warnings) out(`WARN ${w}`);
        for (const n of r.notes) out(`note ${n}`);
        // Printed to the engineer's terminal, never logged: the point of a dry run is to see the mapping. By the values'
        // kinds unless asked for (security QA: whole records, health facts included, on any terminal, unaudited).
        if (opts.showValues && r.records.length) {
          await auditShownValues(b.ctx.sql, b.logger, name, b.ctx.connectors.catalog.get(name).definition.sourceSystem, r.records.map((x) => x.externalId));
        }
        for (const rec of r.records) out(JSON.stringify(opts.showValues ? rec : maskedRecord(rec), null, 2));
        if (r.records.length && !opts.showValues) {
          out('(values shown by their kind, null where the mapping left a field empty; --show-values prints the values, audited as a read of every class by your user)');
        }
        // QA: 9 fetched, 6 would be stored, 5 printed, and nothing said the rest were cut off.
        const mapped = r.valid - r.identical;
        // Every copy of a repeated id is a mapped record (the summary's "would be stored" counts the last alone).
        const copies = r.repeated ? ', each copy of a repeated id counted' : '';
        if (r.records.length < mapped) out(`… ${mapped - r.records.length} more mapped ${mapped - r.records.length === 1 ? 'record' : 'records'} not shown (${r.records.length} of ${mapped}${copies}: --limit ${mapped} shows them all)`);
        for (const rej of r.rejects) out(`REJECT ${rej.externalId ?? '(no id)'} ${rej.location ?? ''}: ${rej.problems.map((p) => `${p.field} ${p.code} ${p.message}`).join('; ')}`);
        // A script can use a dry run as a check (QA: files refused, and it exited 0).
        if (r.wouldFail.length) {
          out(`a sync would end FAILED (${r.wouldFail.join(', ')}): see WARN above`);
          process.exitCode = 1;
        }
      } finally {
        await b.shutdown();
      }
    });

  cmd
    .command('sync')
    .description('Sync a connector: queue a connector-sync job for the workers and follow it (or run it here with --in-process).')
    .argument('<name>')
    .option('--file <path...>', 'read these files instead of the drop directory (file connectors)')
    .option('--force', 'read everything again: files even if already ingested, an HTTP source from the beginning (unchanged records are still skipped)')
    .option('--in-process', 'run the sync in this process instead of queueing it')
    .option('--no-wait', 'queue the job and return')
    .option('--report-json <file>', 'with --in-process: write the run summary and this process\'s peak RSS and CPU time to this file (benchmarks)')
    .action(async (name: string, opts: { file?: string[]; force?: boolean; inProcess?: boolean; wait: boolean; reportJson?: string }) => {
      if (opts.reportJson && !opts.inProcess) throw new Error('--report-json needs --in-process (the figures are this process\'s)');
      const b = await boot({ migrate: 'auto', pretty: true });
      const given = opts.file?.map(givenFile);
      // Which file each relative --file names: the engineer's directory's, or the drop directory's.
      for (const g of given ?? []) if (g.from !== 'absolute') out(await describeGivenFile(g, name, b.ctx.connectors.catalog, b.logger, !!opts.inProcess));
      const req = { trigger: 'CLI' as const, files: given?.map((g) => g.path), force: opts.force, requestedBy: 'cli' };
      const progress = (p: ProgressCounts & { location?: string }): void => {
        // A line redrawn in place: for a person at a terminal only (in a file or a pipe it is one endless line).
        if (!process.stderr.isTTY) return;
        process.stderr.write(`\r${progressLine(name, p)}   `);
      };
      try {
        if (opts.inProcess) {
          let failed: FailedRun | undefined;
          const s = await b.ctx.connectors.run(name, req, { onProgress: progress, onFailed: (f) => (failed = f) }).catch((err: unknown) => {
            if (!failed) throw err; // the run never started: the error is the whole story
            // Told once, with the run it ended: the service logs the failure at debug only.
            if (process.stderr.isTTY) process.stderr.write('\n');
            out(`${name}: FAILED in ${(failed.durationMs / 1000).toFixed(1)} s — run ${failed.runId}: ${failed.fetched} fetched, ${failed.inserted} new, ${failed.updated} changed, ${failed.unchanged} unchanged, ${failed.rejected} rejected — ${failed.error.code}: ${failed.error.message}`);
            if (failed.repeatedIds > 0) out(repeatedLine(failed.repeatedIds));
            if (failed.filesWaiting > 0) out(waitingLine(failed.filesWaiting));
            process.exitCode = 1;
            return null;
          });
          if (!s) return;
          if (process.stderr.isTTY) process.stderr.write('\n');
          if (opts.reportJson) writeRunReport(opts.reportJson, s);
          out(`${name}: ${s.status} in ${(s.durationMs / 1000).toFixed(1)} s — run ${s.runId}: ${s.fetched} fetched, ${s.inserted} new, ${s.updated} changed, ${s.unchanged} unchanged, ${s.rejected} rejected`);
          if (s.mappingChanged) out(MAPPING_CHANGED_LINE);
          if (s.repeatedIds > 0) out(repeatedLine(s.repeatedIds));
          const definition = b.ctx.connectors.catalog.get(name).definition;
          for (const line of removalsLines(s.removals, definition.removals?.maxShare, definition.kind === 'file')) out(line);
          if (s.filesSkipped > 0) out(skippedLine(s.filesSkipped, opts.force));
          if (s.filesWaiting > 0) {
            out(waitingLine(s.filesWaiting));
            // Run here, nothing queues the sync that reads them once they have settled (a worker's run does): say when.
            const when = s.settlesInMs === undefined ? '' : ` in ${Math.ceil(s.settlesInMs / 1000)} s`;
            out(`  ${s.waitingFiles?.length ? `${s.waitingFiles.join(', ')}: ` : ''}the first settles${when}; sync again then (a sync the workers run queues that one itself; file.settleSeconds: 0 when files are moved in whole)`);
          }
          if (s.inserted + s.updated > 0) out('the children these records are linked to are built by a golden-record worker, not by this command: a running worker (`npm run worker`, or the demo\'s) builds them now, or when it starts');
          return;
        }
        const requested = await b.ctx.connectors.requestSync(name, req);
        const { runId } = requested;
        // One queued sync per connector (with these options): a second would read the whole source again after it.
        out(requestedRunLine(name, requested, opts.wait));
        if (!opts.wait) return;
        const started = Date.now();
        let warned = false;
        /** Failed attempts already told (see retryingLine). */
        let toldAttempts = 0;
        // The run goes on in the worker while PostgreSQL restarts (its job retries the sync): following it waits for
        // the database rather than reporting a failure the run may not have.
        const outage = new DatabaseOutageWait({
          onWaiting: (reason) => {
            if (process.stderr.isTTY) process.stderr.write('\n');
            process.stderr.write(`waiting for the database (${reason}): run ${runId} is followed again once it answers; a worker's sync goes on (its job retries it). Ctrl-C stops following, not the sync\n`);
          },
          onBack: (ms) => process.stderr.write(`the database answers again after ${(ms / 1000).toFixed(0)} s: following run ${runId}\n`),
          interrupted: () => interrupted() !== null,
        });
        const read = <T extends Record<string, unknown>>(text: string, params: unknown[]) => outage.read(() => b.ctx.sql.one<T>(text, params));
        for (;;) {
          const r = await read<{
            status: string; batches: number; fetched: number; inserted: number; updated: number; unchanged: number; rejected: number;
            files_skipped: number; files_waiting: number; repeated_ids: number; error: { code: string; message: string } | null;
            removals: RunRemovals | null; mapping_changed: boolean; duration_ms: number | null; max_attempts: number | null; next_attempt_at: Date | null; failed_attempts: FailedAttemptRow[];
          }>(
            `SELECT status, batches, fetched, inserted, updated, unchanged, rejected, files_skipped, files_waiting, repeated_ids, error, removals,
                    coalesce((options->>'mappingChanged')::boolean, false) AS mapping_changed,
                    (extract(epoch FROM finished_at - started_at) * 1000)::float8 AS duration_ms, max_attempts, next_attempt_at, failed_attempts
               FROM connector_run WHERE id = $1`, [runId]);
          if (!r) throw new Error(`run ${runId} disappeared`);
          if (r.status === 'QUEUED' && !warned && Date.now() - started > 10_000) {
            warned = true;
            // One sync per connector: a run queued behind a running one waits for it (its job looks again every few seconds).
            // Also one that has just finished: this run starts at its job's next look (QA: a run queued behind a
            // sync that ended a moment before the check was told to look for a worker). A run that went through the
            // queue (it has an outbox message) was a worker's, so a worker is there; one run `--in-process` says
            // nothing of workers (QA re-check: "starts within seconds" was said with none running).
            // A RETRYING run holds its connector as a running one does, until its job's next attempt has ended it.
            const other = await read<{ id: string; finished: boolean; queued: boolean; retrying: boolean }>(
              `SELECT r.id, r.status NOT IN ('RUNNING', 'RETRYING') AS finished, r.status = 'RETRYING' AS retrying,
                      EXISTS (SELECT 1 FROM outbox o WHERE o.topic = $3 AND o.aggregate_id = r.id) AS queued
                 FROM connector_run r JOIN connector c ON c.id = r.connector_id
                WHERE c.name = $1 AND r.id <> $2 AND (r.status IN ('RUNNING', 'RETRYING') OR r.finished_at > now() - interval '15 seconds')
                ORDER BY (r.status IN ('RUNNING', 'RETRYING')) DESC, r.finished_at DESC NULLS LAST LIMIT 1`,
              [name, runId, OUTBOX_TOPICS.connectorSync]);
            // The request reaches the queue through the outbox: while Redis refuses it, no worker can have it (QA:
            // the worker was blamed).
            const unsent = await read<{ last_error: string | null }>(
              `SELECT last_error FROM outbox WHERE topic = $1 AND aggregate_id = $2 AND relayed_at IS NULL LIMIT 1`,
              [OUTBOX_TOPICS.connectorSync, runId]);
            const noWorker = 'is a worker running (`npm run worker`)?';
            process.stderr.write(
              unsent
                ? `still queued after 10 s: the request has not reached the job queue yet${unsent.last_error ? ' (Redis refused it; the worker\'s log says why)' : ''}: is Redis up and taking writes, and a worker running (it sends it)? Or use --in-process.\n`
                : other && !other.finished
                  ? other.retrying
                    ? `still queued after 10 s: a sync of ${name} waits for its job's next attempt (run ${other.id}, RETRYING); this one starts when it has ended (one sync per connector at a time).\n`
                    : other.queued
                    ? `still queued after 10 s: a sync of ${name} is running (run ${other.id}); this one starts when it has finished (one sync per connector at a time).\n`
                    : `still queued after 10 s: a sync of ${name} is running in another process (run ${other.id}, --in-process); a worker starts this one when it has finished: ${noWorker}\n`
                  : other?.queued
                    ? `still queued after 10 s: it waited for the sync of ${name} that has just finished (run ${other.id}); it starts within seconds (one sync per connector at a time).\n`
                    : `still queued after 10 s: ${noWorker} Or use --in-process.\n`);
          }
          if (r.status === 'RUNNING') progress({ ...r, repeatedIds: r.repeated_ids });
          // An attempt failed and the job tries again: not the run's end (QA: it was shown FAILED and exited 1 while the
          // worker retried it). Told once per failed attempt, then followed on.
          const lastFailed = r.failed_attempts.at(-1);
          if (r.status === 'RETRYING' && lastFailed && toldAttempts !== r.failed_attempts.length) {
            toldAttempts = r.failed_attempts.length;
            if (process.stderr.isTTY) process.stderr.write('\n');
            out(retryingLine(name, lastFailed, r.max_attempts, r.next_attempt_at));
          }
          if (r.status === 'SUCCEEDED' || r.status === 'FAILED') {
            if (process.stderr.isTTY) process.stderr.write('\n');
            // As an --in-process sync says it (QA: the docs showed that line, a queued sync printed another).
            const took = r.duration_ms !== null ? ` in ${(r.duration_ms / 1000).toFixed(1)} s` : '';
            out(`${name}: ${r.status}${took} — run ${runId}: ${r.fetched} fetched, ${r.inserted} new, ${r.updated} changed, ${r.unchanged} unchanged, ${r.rejected} rejected${r.error ? ` — ${r.error.code}: ${r.error.message}` : ''}`);
            const attempts = attemptsLine(r.status, r.failed_attempts.length);
            if (attempts) out(attempts);
            if (r.mapping_changed) out(MAPPING_CHANGED_LINE);
            if (r.repeated_ids > 0) out(repeatedLine(r.repeated_ids));
            const definition = b.ctx.connectors.catalog.list().find((c) => c.definition.name === name)?.definition;
            for (const line of removalsLines(r.removals, definition?.removals?.maxShare, definition?.kind === 'file')) out(line);
            if (r.files_skipped > 0) out(skippedLine(r.files_skipped, opts.force));
            if (r.files_waiting > 0) out(waitingLine(r.files_waiting));
            process.exitCode = r.status === 'SUCCEEDED' ? 0 : 1;
            return;
          }
          await new Promise((res) => setTimeout(res, 500));
        }
      } finally {
        await b.shutdown();
      }
    });

  cmd
    .command('schema')
    .description('Write the definitions\' JSON Schema to connectors/connector.schema.json (or --check it).')
    .option('--check', 'exit 1 when the file differs from the code')
    .action(async (opts: { check?: boolean }) => {
      const { writeConnectorSchema } = await import('../connectors/definition/connector-schema.file.js');
      process.exitCode = writeConnectorSchema({ check: !!opts.check }) ? 0 : 1;
    });

  return cmd;
}

/**
 * Whether a sync of the connector would be refused for its record ids (CONNECTOR_RECORD_IDS_CHANGED), for `check`:
 * one short-lived connection, a query or two; a database that does not answer (or is not migrated) is said, not fatal.
 */
async function storedRecordIds(databaseUrl: string, loaded: LoadedConnector): Promise<{ refused: string } | { unknown: string } | { ok: true }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, connectionTimeoutMillis: 5_000 });
  try {
    const found = await pool.query<{ id: string }>('SELECT id FROM connector WHERE name = $1', [loaded.definition.name]);
    const id = found.rows[0]?.id;
    if (!id) return { ok: true };
    const change = await recordIdsChange(pool, id, loaded.definition.sourceSystem, recordIdHashes(loaded.definition.records));
    return change ? { refused: `a sync would be refused (CONNECTOR_RECORD_IDS_CHANGED): ${new RecordIdsChangedError(loaded.definition.name, change).message}` } : { ok: true };
  } catch (err) {
    return { unknown: `the database did not answer (${(err as Error).message})` };
  } finally {
    await pool.end().catch(() => {});
  }
}

/**
 * Whether this connector ingested a file of these bytes (its checksum), asked of the database at `databaseUrl` when a file
 * would be refused; `has` is absent when a sync would read such files again (the mapping changed since the stored records
 * were read: `note` says so). A database that does not answer knows of none (`unanswered` says why).
 */
async function ingestedFiles(databaseUrl: string, loaded: LoadedConnector): Promise<{
  has?: (checksum: string) => Promise<boolean>; note?: string; unanswered: () => string | null; close: () => Promise<void>;
}> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, connectionTimeoutMillis: 5_000 });
  let unanswered: string | null = null;
  const close = () => pool.end().catch(() => {});
  try {
    const id = (await pool.query<{ id: string }>('SELECT id FROM connector WHERE name = $1', [loaded.definition.name])).rows[0]?.id;
    if (!id) {
      await close();
      return { unanswered: () => null, close: async () => {} };
    }
    const reread = await fileReread(async (text, params) => (await pool.query(text, params)).rows, id, loaded);
    const note = reread === 'mapping'
      ? 'the mapping changed since the stored records were read (or is not known): the next sync reads every file again, those ingested already included, so each is checked as it will be read'
      : reread === 'forced'
        ? 'a forced read of the files stopped part-way (its run left RUNNING): the next sync goes on with it, reading files ingested already too, so each is checked as it will be read'
        : null;
    if (note) {
      await close();
      return { note, unanswered: () => null, close: async () => {} };
    }
    return {
      has: async (checksum) => {
        try {
          return (await pool.query('SELECT 1 FROM ingested_file WHERE connector_id = $1 AND checksum = $2', [id, checksum])).rowCount! > 0;
        } catch (err) {
          unanswered ??= (err as Error).message;
          return false;
        }
      },
      unanswered: () => unanswered,
      close,
    };
  } catch (err) {
    await close();
    // Told only when a file would be refused: then it matters.
    const why = (err as Error).message;
    return {
      has: async () => {
        unanswered = why;
        return false;
      },
      unanswered: () => unanswered, close: async () => {},
    };
  }
}

/**
 * `--report-json`: the run's counts (never records) with what this process used up to now, so a benchmark
 * can run the real command as its own process and still read its peak memory and CPU time.
 */
function writeRunReport(file: string, summary: RunSummary): void {
  const usage = process.resourceUsage();
  const report = {
    summary,
    // maxRSS is in kilobytes (getrusage): the process's peak resident set size.
    maxRssBytes: usage.maxRSS * 1024,
    cpuUserSeconds: usage.userCPUTime / 1e6,
    cpuSystemSeconds: usage.systemCPUTime / 1e6,
    uptimeSeconds: process.uptime(),
    // Where system time goes, when it is high: memory mapped in, blocks read from disk, waits and preemptions.
    minorPageFaults: usage.minorPageFault,
    majorPageFaults: usage.majorPageFault,
    fsReads: usage.fsRead,
    voluntaryContextSwitches: usage.voluntaryContextSwitches,
    involuntaryContextSwitches: usage.involuntaryContextSwitches,
  };
  writeFileSync(path.resolve(file), `${JSON.stringify(report, null, 2)}\n`);
}

/** A `--file` as given, and where the reader is to find it. */
interface GivenFile {
  given: string;
  /** What the reader gets: absolute when the file was found from the current directory. */
  path: string;
  from: 'absolute' | 'current directory' | 'drop directory';
}

/**
 * A `--file` as the reader should get it: made absolute when it names a file from the current directory
 * (a worker resolving it has another one), else as given, for the reader to find in the connector's drop
 * directory (`--file khai-sinh-2026-11.csv`, dropped there already).
 */
function givenFile(f: string): GivenFile {
  if (path.isAbsolute(f)) return { given: f, path: f, from: 'absolute' };
  const here = path.resolve(f);
  return existsSync(here) ? { given: f, path: here, from: 'current directory' } : { given: f, path: f, from: 'drop directory' };
}

function givenFilePath(f: string): string {
  return givenFile(f).path;
}

/** Says which file a relative `--file` was taken as, so that an engineer sees which of two same-named files is read. */
async function describeGivenFile(g: GivenFile, name: string, catalog: ConnectorCatalog, logger: Logger, inProcess: boolean): Promise<string> {
  if (g.from === 'current directory') return `--file ${g.given}: ${g.path} (found in the current directory)`;
  // A worker resolves the drop directory from its own environment, which this process cannot see.
  if (!inProcess) return `--file ${g.given}: not in the current directory (${process.cwd()}); the worker reads it from the drop directory of ${name}`;
  let where = '';
  try {
    const file = catalog.get(name).definition.file;
    const { FileReader } = await import('../connectors/file/file-reader.js');
    if (file) where = `: ${path.resolve(new FileReader(file, { logger, name }).directory(), g.given)}`;
  } catch {
    // An unknown connector or an unset variable: the sync itself says so.
  }
  return `--file ${g.given}: not in the current directory (${process.cwd()}); read from the drop directory of ${name}${where}`;
}

function skippedLine(n: number, forced: boolean | undefined): string {
  return `${n} file(s) skipped: already ingested (the same bytes, by checksum)${forced ? '' : '; --force reads them again (unchanged records are still skipped)'}`;
}

/** Row numbers are in the log and on the records' flags; the line holds none (nor any value). */
/** Said after a run that read the whole source again because the connector's mapping changed (`ConnectorRun.mappingChanged`). */
const MAPPING_CHANGED_LINE = 'the connector\'s mapping changed since its records were read (its definition\'s records, or the hub\'s mapping rules '
  + 'after an upgrade): this run read the whole source again, once, so every record takes it';

function repeatedLine(n: number): string {
  return `${n} record(s) came again in this sync under an id read earlier with other content (an id listed twice, or files that overlap): `
    + 'the later copy was kept and flagged REPEATED_ID (SourceRecord.flags); the log names the rows';
}

function waitingLine(n: number): string {
  return `${n} file(s) of the drop directory left for a later sync: modified less than file.settleSeconds ago (still being written?)`;
}
