/**
 * Where PostgreSQL's time goes when the CSV ingest writes its rows: the source records (and birth registrations) the
 * connectors bench stored are copied out once, then copied back into scratch tables shaped like `source_record`
 * (`LIKE … INCLUDING DEFAULTS INCLUDING CONSTRAINTS`), with no index, with each of the table's indexes alone, with all of
 * them, in COPY's text format (what ingest sends) and in its binary one. Each COPY is timed from its first byte to its
 * end: the time of the one backend doing it, close to its CPU time. Run against the connectors bench's database after
 * its CSV phase (`BENCH_CONNECTORS_PHASES=csv npm run bench -- connectors --no-write` leaves it holding the rows):
 *
 *   DATABASE_URL=postgres://postgres:childhub-local@127.0.0.1:54341/childhub_bench npx tsx bench/tools/measure-copy-cost.ts [rounds]
 *
 * (The bench stops its cluster when it ends: start it again with the embedded binaries, as the `postgres` user,
 * `pg_ctl -D .childhub/bench-connectors/postgres/data -o '-p 54341' start`.) Scratch tables are dropped; nothing
 * of the hub's is changed.
 *
 * Not a test: numbers depend on the machine. Measured on 2026-12-06 on the 2-core AMD EPYC host, quiet, 200,000
 * rows (695 bytes of COPY text each), µs a row: no index 13.4–15.1 (all columns as text instead: 9.6–11.2; the
 * raw CSV's 17 text columns, the bench's ceiling: 3.4); + primary key 15.6, + (source_system, external_id)
 * INCLUDE (content_hash) 17.3, + child_id 20.5, + identity_number 18.7, + absent 14.5, + the absent_run_id
 * foreign key 15.4; all 29.7–36.1 in text, 27.3–30.5 in binary (−15%); birth_registration 6.3, 3.1 without its
 * indexes. The ingest's own COPY of source_record took 33 µs a row there (pg_stat_statements), of 44 µs of
 * PostgreSQL CPU a record in all.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import pgCopy from 'pg-copy-streams';

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('DATABASE_URL is required (the connectors bench database after its CSV phase)\n');
  process.exit(2);
}
const rounds = Number(process.argv[2] ?? 2);
const client = new pg.Client({ connectionString: url });
await client.connect();
const dir = mkdtempSync(path.join(tmpdir(), 'childhub-copy-cost-'));
try {
  const count = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM source_record')).rows[0]!.n);
  if (count === 0) throw new Error('source_record is empty: run the connectors bench\'s CSV phase first');
  const files = { text: path.join(dir, 'sr.copy'), binary: path.join(dir, 'sr.bin'), births: path.join(dir, 'br.copy') };
  await pipeline(client.query(pgCopy.to('COPY source_record TO STDOUT')), createWriteStream(files.text));
  await pipeline(client.query(pgCopy.to('COPY source_record TO STDOUT (FORMAT binary)')), createWriteStream(files.binary));
  await pipeline(client.query(pgCopy.to('COPY birth_registration TO STDOUT')), createWriteStream(files.births));
  const births = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM birth_registration')).rows[0]!.n);

  const like = 'CREATE TABLE copy_cost (LIKE source_record INCLUDING DEFAULTS INCLUDING CONSTRAINTS)';
  const indexes: Record<string, string> = {
    'primary key': 'ALTER TABLE copy_cost ADD PRIMARY KEY (id)',
    '(source_system, external_id) INCLUDE (content_hash)': 'CREATE UNIQUE INDEX ON copy_cost (source_system, external_id) INCLUDE (content_hash)',
    child_id: 'CREATE INDEX ON copy_cost (child_id)',
    identity_number: 'CREATE INDEX ON copy_cost (identity_number) WHERE identity_number IS NOT NULL',
    'absent (partial)': 'CREATE INDEX ON copy_cost (source_system, absent_since) WHERE absent_since IS NOT NULL',
    'absent_run_id foreign key': 'ALTER TABLE copy_cost ADD FOREIGN KEY (absent_run_id) REFERENCES connector_run(id)',
  };
  const all = Object.values(indexes);
  const time = async (setup: string[], file: string, format: string, rows: number): Promise<number> => {
    await client.query('DROP TABLE IF EXISTS copy_cost');
    for (const sql of setup) await client.query(sql);
    await client.query('CHECKPOINT');
    const t0 = performance.now();
    await pipeline(createReadStream(file), client.query(pgCopy.from(`COPY copy_cost FROM STDIN ${format}`)));
    return ((performance.now() - t0) * 1000) / rows;
  };
  const cases: Array<[string, () => Promise<number>]> = [
    ['no index, text', () => time([like], files.text, '', count)],
    ...Object.entries(indexes).map(([name, sql]): [string, () => Promise<number>] => [`+ ${name}, text`, () => time([like, sql], files.text, '', count)]),
    ['all indexes, text', () => time([like, ...all], files.text, '', count)],
    ['no index, binary', () => time([like], files.binary, '(FORMAT binary)', count)],
    ['all indexes, binary', () => time([like, ...all], files.binary, '(FORMAT binary)', count)],
    ['birth_registration, its indexes', () => time(['CREATE TABLE copy_cost (LIKE birth_registration INCLUDING ALL)'], files.births, '', births)],
    ['birth_registration, no index', () => time(['CREATE TABLE copy_cost (LIKE birth_registration INCLUDING DEFAULTS)'], files.births, '', births)],
  ];
  const results = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of cases) results.set(name, [...(results.get(name) ?? []), await run()]);
  }
  process.stdout.write(`${count} source records, ${births} birth registrations; µs a row per round:\n`);
  for (const [name, us] of results) process.stdout.write(`  ${name.padEnd(62)} ${us.map((u) => u.toFixed(1)).join('  ')}\n`);
} finally {
  await client.query('DROP TABLE IF EXISTS copy_cost').catch(() => undefined);
  await client.end();
  rmSync(dir, { recursive: true, force: true });
}
