/**
 * Measures what `removals` adds to a full read of a large source: loading the stored keys before the first
 * page (which a read of a large source does anyway, see KnownRecordsHandover) and the pass after the last one
 * that marks the records the read did not meet ({@link markRemovals}). Runs against a database holding a
 * large source, e.g. the connectors bench's after `npm run bench -- connectors` (a million justice-register
 * records):
 *
 *   DATABASE_URL=postgres://postgres:childhub-local@127.0.0.1:54341/childhub_bench \
 *     npx tsx bench/tools/measure-removals-pass.ts [source-system] [unread]
 *
 * Every stored record but `unread` (default 10) is judged read, as a full read would; the pass then marks
 * those few absent, and the tool unmarks them again (the source's records are left as they were, save the
 * marking run's `removals`, written on the source's latest run).
 *
 * Not a test: numbers depend on the machine. Measured on the 2-core development VM (Node 20.20, PostgreSQL 18)
 * while the host ran about half as fast as in docs/benchmarks.md's run: 1,000,000 records, load 0.8–1.0 s,
 * pass 0.7–0.9 s wall and as much of this process's CPU (one index-only COPY of keys and hashes, hashed where
 * they lie; the records marked absent before found by their partial index).
 */
import pg from 'pg';
import { KnownRecords } from '../../src/connectors/sync/known-records.js';
import { markRemovals, removalsBaseline } from '../../src/connectors/sync/removals.js';
import { Sql } from '../../src/db/sql.js';

const [sourceSystem = 'justice-register', unreadArg = '10'] = process.argv.slice(2);
const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('DATABASE_URL is required (a database holding a large source)\n');
  process.exit(2);
}
const pool = new pg.Pool({ connectionString: url });
try {
  const t0 = performance.now();
  const table = await KnownRecords.load(pool, sourceSystem);
  const loadMs = performance.now() - t0;
  if (!table || table.size === 0) throw new Error(`no records of ${sourceSystem} to measure (or more than a table holds)`);
  const unread = Number(unreadArg);
  const rows = await pool.query<{ external_id: string; content_hash: string }>(
    'SELECT external_id, content_hash FROM source_record WHERE source_system = $1 AND absent_since IS NULL', [sourceSystem]);
  for (const r of rows.rows.slice(unread)) table.judge(r.external_id, r.content_hash);
  const run = await pool.query<{ id: string; connector_id: string }>(
    'SELECT r.id, r.connector_id FROM connector_run r JOIN connector c ON c.id = r.connector_id WHERE c.source_system = $1 ORDER BY r.id DESC LIMIT 1', [sourceSystem]);
  if (!run.rows[0]) throw new Error(`no run of a connector of ${sourceSystem} to record the pass on`);
  const sql = new Sql(pool);
  const baseline = await removalsBaseline(sql, sourceSystem, run.rows[0].connector_id, false);
  const cpu0 = process.cpuUsage();
  const t1 = performance.now();
  const found = await markRemovals(sql, { sourceSystem, connectorId: run.rows[0].connector_id, runId: run.rows[0].id, table, maxShare: 1, baseline });
  const passMs = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  await pool.query('UPDATE source_record SET absent_since = NULL, absent_run_id = NULL WHERE source_system = $1 AND absent_run_id = $2', [sourceSystem, run.rows[0].id]);
  process.stdout.write(`${sourceSystem}: ${table.size.toLocaleString('en')} stored records; load ${Math.round(loadMs)} ms; `
    + `pass ${Math.round(passMs)} ms wall, ${Math.round((cpu.user + cpu.system) / 1000)} ms CPU here; marked ${found.marked} (unmarked again)\n`);
} finally {
  await pool.end();
}
