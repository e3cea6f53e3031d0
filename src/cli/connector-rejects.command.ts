import { Command, InvalidArgumentError } from 'commander';
import { ConnectorReadRepository, type RejectedRecordRow } from '../db/repositories/connector-read.repository.js';
import { checkRejectsFilter } from '../services/ingest/rejects-filter.js';
import { boot } from './bootstrap.js';
import { locationLabel } from '../connectors/file/file-label.js';
import type { RejectResolution } from '../db/entities/rejected-record.entity.js';

/** The resolutions `--resolution` takes, as the API's RejectResolution. */
const RESOLUTIONS: readonly RejectResolution[] = ['STORED', 'SUPERSEDED', 'DISMISSED', 'NOT_SENT_AGAIN'];

function resolutionArgument(value: string): RejectResolution {
  const r = value.toUpperCase().replace(/-/g, '_');
  if (!(RESOLUTIONS as readonly string[]).includes(r)) throw new InvalidArgumentError(`expected one of ${RESOLUTIONS.join(', ')}`);
  return r as RejectResolution;
}

const out = (s = '') => process.stdout.write(`${s}\n`);
/** Rows read per statement while listing (keyset paging by id, newest first). */
const PAGE = 500;

/**
 * `childhub connectors rejects <name>`: a connector's quarantined records at the terminal, as
 * `rejectedRecords` lists them, without the payload (it may hold any personal data) or a dismissal's reason
 * (free text a person wrote): each reason is its field, code and what was wrong with the value, never the value.
 */
export function rejectsCommand(): Command {
  return new Command('rejects')
    .description('List a connector\'s quarantined records (open ones unless --all): id, external id, location, reasons, times seen, resolution. Never the payload.')
    .argument('<name>')
    .option('--all', 'the resolved ones too (stored, superseded, dismissed, not sent again)')
    .option('--resolution <how>', `only those resolved so: ${RESOLUTIONS.join(', ')}`, resolutionArgument)
    .option('--run <id>', 'only the records this run quarantined or read again still invalid')
    .option('--json', 'print one JSON array (for scripts)')
    .action(async (name: string, opts: { all?: boolean; resolution?: RejectResolution; run?: string; json?: boolean }) => {
      const b = await boot({ migrate: 'auto', pretty: true });
      try {
        const repo = new ConnectorReadRepository(b.ctx.sql);
        const filter = { connector: name, runId: opts.run ?? null, unresolvedOnly: !opts.all, resolution: opts.resolution ?? null };
        // The same check as the API's rejectedRecords: an unknown connector or run is an error, not an empty list.
        await checkRejectsFilter(repo, b.ctx.connectors.catalog.folderNames(), filter);
        const rows: RejectedRecordRow[] = [];
        for (let before: string | null = null; ;) {
          const page = await repo.rejects(filter, PAGE, before);
          rows.push(...page);
          if (page.length < PAGE) break;
          before = page[page.length - 1]!.id;
        }
        if (opts.json) {
          out(JSON.stringify(rows.map(toListed), null, 2));
          return;
        }
        const state = opts.resolution ? `${opts.resolution} ` : opts.all ? '' : 'open ';
        const what = `${state}reject${rows.length === 1 ? '' : 's'}${opts.run ? ` of run ${opts.run}` : ''}`;
        out(`${name}: ${rows.length || 'no'} ${what}`);
        for (const r of rows) {
          out(`${r.id}  ${r.external_id ?? '(no id)'}  ${r.location ? locationLabel(r.location) : '(no location)'}  seen ${r.times_seen}×  ${resolutionOf(r)}`);
          for (const p of r.reasons) out(`    ${p.field} ${p.code} ${p.message}`);
        }
      } finally {
        await b.shutdown();
      }
    });
}

/** What a listed reject says, as `--json` prints it: no payload, no dismissal reason. */
function toListed(r: RejectedRecordRow) {
  return {
    id: r.id, externalId: r.external_id, location: r.location ? locationLabel(r.location) : r.location, reasons: r.reasons, timesSeen: r.times_seen,
    rejectedAt: r.created_at, runId: r.connector_run_id, lastSeenAt: r.last_seen_at, lastRunId: r.last_run_id,
    resolution: r.resolution, resolvedAt: r.resolved_at, resolvedByRunId: r.resolved_by_run_id, resolvedBy: r.resolved_by,
  };
}

function resolutionOf(r: RejectedRecordRow): string {
  if (r.resolution === null) return 'open';
  const by = r.resolution === 'DISMISSED' ? r.resolved_by : r.resolved_by_run_id;
  return `${r.resolution} ${r.resolved_at?.toISOString() ?? ''}${by ? ` by ${by}` : ''}`;
}
