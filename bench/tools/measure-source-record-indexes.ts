/**
 * What each index of `source_record` costs PostgreSQL per stored record: the stored records copied (`INSERT … SELECT`,
 * no parsing) into a scratch table with no index, then with each index alone, then with all of them, timed (best of
 * 2). The CSV ingest target (≥ 50,000 records/s on 2 cores) leaves 40 µs of CPU per record for the sync process and
 * PostgreSQL together; this tells how much of PostgreSQL's share the indexes take. Run against the connectors
 * bench's database after its CSV phase:
 *
 *   BENCH_CONNECTORS_ROWS=200000 BENCH_CONNECTORS_PHASES=copy,csv npm run bench -- connectors --no-write
 *   DATABASE_URL=postgres://postgres:childhub-local@127.0.0.1:54341/childhub_bench npx tsx bench/tools/measure-source-record-indexes.ts
 *
 * (The bench stops its cluster when it ends: start it again with the embedded binaries, as the `postgres` user,
 * `pg_ctl -D .childhub/bench-connectors/postgres/data -o '-p 54341' start`.) It creates and drops a scratch table.
 *
 * Not a test: numbers depend on the machine and the cluster's settings. Measured on 2026-12-06 on the 2-core AMD EPYC
 * host (the cluster started by hand, so with PostgreSQL's default 128 MB of shared buffers), 200,000 records, µs per
 * record: no index 3.1–4.7; with all five 19.6; each alone over none: the primary key 1.5, the unique
 * (source_system, external_id) INCLUDE (content_hash) 4.9 (3.2 without the INCLUDE), child_id 3.2, the partial
 * identity_number 1.6, the partial absent_since 0 (no record is absent). External ids and child ids are random, so
 * their entries land all over their indexes; record ids are time-ordered.
 */
import pg from 'pg';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required: the connectors bench database (see the header)');
const client = new pg.Client({ connectionString: url });
await client.connect();
const SCRATCH = 'bench_source_record_indexes';
try {
  const n = (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM source_record')).rows[0]!.n;
  if (n === 0) throw new Error('no source records: run the connectors bench with its CSV phase first (see the header)');
  // The table's own indexes, as pg_indexes gives them, pointed at the scratch table.
  const own = (await client.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'source_record' ORDER BY indexname`)).rows;
  const on = (def: string) => def.replace(/^CREATE (UNIQUE )?INDEX \S+ ON public\.source_record/, `CREATE $1INDEX ON ${SCRATCH}`);
  const cases: Array<[string, string[]]> = [['no index', []], ...own.map((i): [string, string[]] => [i.indexname, [on(i.indexdef)]]), ['all of them', own.map((i) => on(i.indexdef))]];
  console.log(`${n.toLocaleString('en-US')} source records`);
  for (const [label, ddl] of cases) {
    let best = Infinity;
    for (let i = 0; i < 2; i++) {
      await client.query(`DROP TABLE IF EXISTS ${SCRATCH}`);
      await client.query(`CREATE TABLE ${SCRATCH} (LIKE source_record INCLUDING DEFAULTS)`);
      for (const d of ddl) await client.query(d);
      await client.query('CHECKPOINT');
      const t = process.hrtime.bigint();
      await client.query(`INSERT INTO ${SCRATCH} SELECT * FROM source_record`);
      best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e3 / n);
    }
    console.log(`${label}: ${best.toFixed(2)} µs a record (best of 2)`);
  }
} finally {
  await client.query(`DROP TABLE IF EXISTS ${SCRATCH}`).catch(() => undefined);
  await client.end();
}
