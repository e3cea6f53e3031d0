/**
 * What a pull of the change feed (`children(filter: { changedSince })`) costs PostgreSQL on a large hub: the queries the
 * resolver runs for a page, `totalCount` and a first pull with the oldest token, timed (best of 5) and explained, after
 * marking 100 random children changed in one transaction as a writer does. Run against the connectors bench's database
 * after its golden phase, which leaves it holding the children it built:
 *
 *   BENCH_CONNECTORS_ROWS=200000 BENCH_CONNECTORS_PHASES=copy,csv,golden npm run bench -- connectors --no-write
 *   DATABASE_URL=postgres://postgres:childhub-local@127.0.0.1:54341/childhub_bench npx tsx bench/tools/measure-change-feed.ts
 *
 * (The bench stops its cluster when it ends: start it again with the embedded binaries, as the `postgres` user,
 * `pg_ctl -D .childhub/bench-connectors/postgres/data -o '-p 54341' start`.) It changes the marks of 100 children.
 *
 * Not a test: numbers depend on the machine. Measured on 2026-12-06 on the 2-core AMD EPYC host, 199,982 children in
 * 126 communes, 100 changed, two runs: a city-wide page 0.85–0.95 ms (the `changed_xid` index, then a sort of the
 * changed by id), one commune's 0.48–0.67 ms, `totalCount` 0.39–0.56 ms, the first page with the oldest token
 * 0.61–0.90 ms (the primary key).
 */
import pg from 'pg';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required: the connectors bench database (see the header)');
const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  const size = (await client.query<{ n: number; communes: number }>('SELECT count(*)::int AS n, count(DISTINCT commune_code)::int AS communes FROM child')).rows[0]!;
  if (size.n === 0) throw new Error('no children: run the connectors bench with its golden phase first (see the header)');
  const token = (await client.query<{ x: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x')).rows[0]!.x;
  await client.query('UPDATE child SET changed_xid = pg_current_xact_id() WHERE id IN (SELECT id FROM child ORDER BY random() LIMIT 100)');
  await client.query('ANALYZE child');
  const commune = (await client.query<{ c: string }>('SELECT commune_code AS c FROM child GROUP BY 1 ORDER BY count(*) DESC LIMIT 1')).rows[0]!.c;
  // The statements of child-read.repository.ts's buildWhere for a pull (status, scope, token), with a page of 100 + 1.
  const page = `SELECT id FROM child WHERE status IN ('ACTIVE', 'MERGED') AND changed_xid >= $1::xid8`;
  const cases: Array<[string, string, unknown[]]> = [
    ['city-wide page, 100 changed', `${page} ORDER BY id LIMIT 101`, [token]],
    ['one commune\'s page', `${page} AND commune_code = ANY($2::text[]) ORDER BY id LIMIT 101`, [token, [commune]]],
    ['totalCount', `SELECT count(*) FROM child WHERE status IN ('ACTIVE', 'MERGED') AND changed_xid >= $1::xid8`, [token]],
    ['first page, oldest token', `${page} ORDER BY id LIMIT 101`, ['0']],
  ];
  console.log(`${size.n.toLocaleString('en-US')} children in ${size.communes} communes; 100 marked changed`);
  for (const [label, sql, params] of cases) {
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const t = process.hrtime.bigint();
      await client.query(sql, params);
      best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
    }
    const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).rows.map((r) => r['QUERY PLAN'].trim()).join(' | ');
    console.log(`${label}: ${best.toFixed(2)} ms (best of 5)\n  ${plan}`);
  }
} finally {
  await client.end();
}
