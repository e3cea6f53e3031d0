/**
 * Measures the CPU the justice-register mapping and validation take per birth-register row, apart from reading
 * and storing: the first rows of a CSV (by default the connectors bench's 1M-row file, which `npm run bench --
 * connectors` writes) are parsed once with csv-parse, then mapped and validated 7 times; the last 5 are timed.
 * Run it from two checkouts alternately to compare two versions of the mapping (`cd <checkout> && npx tsx
 * bench/tools/measure-mapping.ts`): the machine's load weighs on both alike.
 *
 *   npx tsx bench/tools/measure-mapping.ts [--file rows.csv] [--mb 40]
 *
 * Not a test: numbers depend on the machine. Measured on 2026-12-06 on the 2-core AMD EPYC host while CI and QA ran,
 * 235,972 rows: 7.8–8.3 µs a row both before and after that stop's mapping changes (dcc55c0 and after). Later that
 * day, the bench's 200,000-row file (`--file .childhub/bench-connectors/data/khai-sinh-bench-200000-s2026.csv`),
 * three alternations under CI and QA load: 10.7–17.4 µs a row (median 13.7) at 140e998, 10.2–15.6 (median 11.2)
 * once a column read with one parse in several places is parsed once a record (ee78a2a).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { ConnectorCatalog } from '../../src/connectors/definition/connector-catalog.js';
import { compileRecordMapper } from '../../src/connectors/mapping/record-mapper.js';
import { validateSourceRecord } from '../../src/services/ingest/source-record.validator.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const file = arg('--file') ?? path.join(process.cwd(), '.childhub/bench-connectors/data/khai-sinh-bench-1000000-s2026.csv');
const text = readFileSync(file, 'utf8').slice(0, Number(arg('--mb') ?? 40) * 1_000_000);
const rows = parse(text.slice(0, text.lastIndexOf('\n')), { columns: true, bom: true }) as Record<string, string>[];
const definition = ConnectorCatalog.load().get('justice-register').definition;
const mapper = compileRecordMapper(definition.sourceSystem, definition.records);
let flagged = 0;
let rejected = 0;
const once = () => {
  for (const data of rows) {
    const r = mapper({ data, file: path.basename(file) } as never);
    if (!r.ok) {
      rejected++;
      continue;
    }
    if (r.flags.length) flagged++;
    if (r.record) validateSourceRecord(r.record);
  }
};
once();
once();
const perRow: string[] = [];
for (let i = 0; i < 5; i++) {
  const before = process.cpuUsage();
  once();
  const used = process.cpuUsage(before);
  perRow.push(((used.user + used.system) / rows.length).toFixed(2));
}
process.stdout.write(`${JSON.stringify({ rows: rows.length, cpuMicrosecondsPerRow: perRow, flaggedPerPass: flagged / 7, rejectedPerPass: rejected / 7 })}\n`);
