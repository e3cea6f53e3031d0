/**
 * How long an auditor's reads of a large audit take (`Query.auditEvents`, `Query.registryCalls`): a first page and a
 * page further on, for every filter shape, against a scratch database holding N synthetic audit events and N/4
 * registry calls spread over a year. The audit refuses DELETE and TRUNCATE, so the tool makes its own cluster under
 * `.childhub/bench-audit` (port 54351) and database, and drops the database at the end.
 *
 *   npx tsx bench/tools/measure-audit-reads.ts [events]          (default 2,000,000)
 *
 * Not a test: numbers depend on the machine. Measured on 2026-12-07 on the 2-core AMD EPYC host, 2,000,000 events
 * and 500,000 calls (written in about a minute), ms for a first page of 50 and the page after it (median of 5): audit,
 * no filter 5.2 / 5.1, a child (20 events) 5.8, a child in every 20th event (100,000) 5.4 / 3.6, a subject 3.2 / 2.9, an
 * officer 2.6 / 1.3, WRITE 2.3 / 2.0, WRITE and DENIED 1.6 / 3.9, an operation 1.6 / 2.0, a month 1.3 / 1.1, an officer
 * in a month 1.5 / 1.3; registry calls, no filter 1.7 / 1.8, a child 1.0, an officer 1.1 / 1.2, TIMEOUT 1.4 / 2.0,
 * outcomes none has 0.5, a month 1.0 / 1.3. Every shape is a range of an index in the page's order (a rare child's, a
 * GIN look-up then sorted), where the first version sorted every matching row, as text (QA: 0.6-1.9 s a page on 2.3
 * million events, and pages out of order).
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { PROJECT_ROOT } from '../../src/config/config.js';
import { AuditReadRepository, type AuditEventsFilter, type RegistryCallsFilter, type TimeKey } from '../../src/db/repositories/audit-read.repository.js';
import { initOrm, migrate } from '../../src/db/orm.js';
import { Sql } from '../../src/db/sql.js';
import { ensureDatabase, startEmbeddedPostgres } from '../../src/infra/embedded-postgres.js';
import { createLogger } from '../../src/observability/logger.js';

const events = Number(process.argv[2] ?? 2_000_000);
const logger = createLogger({ level: 'warn' });
const pgServer = await startEmbeddedPostgres({ home: path.join(PROJECT_ROOT, '.childhub', 'bench-audit'), port: 54351, ephemeral: true, logger });
const database = `childhub_audit_reads_${process.pid}`;
await ensureDatabase(pgServer.adminUrl, database);
const url = pgServer.urlFor(database);
const orm = await initOrm(url);
await migrate(orm);
await orm.close();
const sql = new Sql(new pg.Pool({ connectionString: url, max: 2 }));
try {
  const t0 = performance.now();
  // A year of events in time order (ids follow it), 500 subjects and officers, 100,000 children and one in every 20th
  // event, 50 operations; 90 %
  // READ, 8 % DENIED, 2 % WRITE. Calls: a quarter as many, 200 officers, outcomes mostly MATCH.
  await sql.query(
    `INSERT INTO audit_event (occurred_at, action, operation, request_id, subject, officer_id, agency, unit, roles, purpose, child_ids, field_classes, details)
     SELECT timestamptz '2026-01-01' + (g * (365 * 86400.0 / $1)) * interval '1 second',
            CASE WHEN g % 50 = 0 THEN 'WRITE' WHEN g % 12 = 0 THEN 'DENIED' ELSE 'READ' END,
            'Op' || (g % 50), md5(g::text), 'user-' || (g * 7 % 500), 'CB-' || (g * 11 % 500), 'so-ldtbxh', NULL, '{data_steward}', 'bench',
            ARRAY[CASE WHEN g % 20 = 0 THEN 'chd_HEAVY' ELSE 'chd_' || lpad((g::bigint * 7919 % 100000)::text, 26, '0') END], '{BASIC}', '{}'
       FROM generate_series(1, $1) AS g`,
    [events],
  );
  await sql.query(
    `INSERT INTO registry_call (request_id, operation, transport, child_id, officer_id, unit, purpose_code, case_ref, outcome, http_status, latency_ms, started_at)
     SELECT 'MYC-' || g, 'XacThucThongTinCongDan', 'soap', 'chd_' || lpad((g::bigint * 7919 % 100000)::text, 26, '0'), 'CB-' || (g % 200), 'so-ldtbxh',
            'BVTE', 'case-' || g, CASE WHEN g % 40 = 0 THEN 'TIMEOUT' ELSE 'MATCH' END, 200, 100, timestamptz '2026-01-01' + (g * (365 * 86400.0 / $1)) * interval '1 second'
       FROM generate_series(1, $1) AS g`,
    [Math.round(events / 4)],
  );
  await sql.query('ANALYZE audit_event');
  await sql.query('ANALYZE registry_call');
  process.stdout.write(`${events.toLocaleString('en-US')} events and ${Math.round(events / 4).toLocaleString('en-US')} calls written in ${((performance.now() - t0) / 1000).toFixed(1)} s\n\n`);

  const repo = new AuditReadRepository(sql);
  const child = `chd_${'12345'.padStart(26, '0')}`;
  const auditShapes: Array<[string, AuditEventsFilter]> = [
    ['no filter', {}],
    ['a child', { childId: child }],
    ['a child read 1 in 20 times', { childId: 'chd_HEAVY' }],
    ['a subject', { subject: 'user-17' }],
    ['an officer', { officerId: 'CB-42' }],
    ['WRITE only', { actions: ['WRITE'] }],
    ['WRITE and DENIED', { actions: ['WRITE', 'DENIED'] }],
    ['an operation', { operation: 'Op7' }],
    ['March', { since: new Date('2026-03-01T00:00:00Z'), until: new Date('2026-04-01T00:00:00Z') }],
    ['an officer in March', { officerId: 'CB-42', since: new Date('2026-03-01T00:00:00Z'), until: new Date('2026-04-01T00:00:00Z') }],
  ];
  const callShapes: Array<[string, RegistryCallsFilter]> = [
    ['no filter', {}],
    ['a child', { childId: child }],
    ['an officer', { officerId: 'CB-42' }],
    ['TIMEOUT only', { outcomes: ['TIMEOUT'] }],
    ['REJECTED or RATE_LIMITED (none)', { outcomes: ['REJECTED', 'RATE_LIMITED'] }],
    ['March', { since: new Date('2026-03-01T00:00:00Z'), until: new Date('2026-04-01T00:00:00Z') }],
  ];
  const time = async <R extends { at_key: string; id: string }>(read: (after: TimeKey | null) => Promise<R[]>) => {
    const runs: Array<[number, number]> = [];
    for (let i = 0; i < 5; i++) {
      const a = performance.now();
      const first = await read(null);
      const b = performance.now();
      const last = first[49];
      if (last) await read({ at: last.at_key, id: last.id });
      runs.push([b - a, performance.now() - b]);
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    return { first: median(runs.map((r) => r[0])), next: median(runs.map((r) => r[1])), rows: (await read(null)).length };
  };
  process.stdout.write('| log | filter | rows on the first page | first page (ms) | second page (ms) |\n|---|---|---:|---:|---:|\n');
  for (const [label, f] of auditShapes) {
    const r = await time((after) => repo.events(f, 51, after));
    process.stdout.write(`| audit | ${label} | ${Math.min(r.rows, 50)} | ${r.first.toFixed(1)} | ${r.next.toFixed(1)} |\n`);
  }
  for (const [label, f] of callShapes) {
    const r = await time((after) => repo.registryCalls(f, 51, after));
    process.stdout.write(`| registry calls | ${label} | ${Math.min(r.rows, 50)} | ${r.first.toFixed(1)} | ${r.next.toFixed(1)} |\n`);
  }
} finally {
  await sql.close();
  const admin = new pg.Client({ connectionString: pgServer.adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  await pgServer.stop();
}
