import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { SuiteResult } from './suite.js';

/**
 * docs/benchmarks.md holds one section per suite between markers. Re-running one suite
 * (`npm run bench -- gateway`) replaces only its own section, so each section keeps the machine, date
 * and command of the run that produced its numbers.
 */
const SECTION = /<!-- bench:begin ([\w-]+) -->\n[\s\S]*?<!-- bench:end \1 -->\n?/g;

const HEADER = `# Benchmarks

Measured, not asserted: performance targets are checked here, in a real run against a real server and
database, never in a timed unit test. Load goes only to 127.0.0.1, and every load loop is bounded in time.

## How to run

\`\`\`sh
npm run bench               # every suite in bench/suites/
npm run bench -- gateway    # one suite; the other sections below are kept
npm run bench -- --list     # the suites there are
npm run bench -- --no-write # print results without touching this file
\`\`\`

Each section below was written by the run it describes: the machine, the date, the exact command, the
results and the verdict against the target. The bench exits with status 1 when a target is missed or a run
had errors.
`;

export interface SectionInput {
  suite: string;
  result: SuiteResult;
  machine: Record<string, string>;
  command: string;
  date: Date;
}

export function renderSection(s: SectionInput): string {
  const facts = { ...s.machine, ...s.result.facts };
  const rows = Object.entries(facts).map(([k, v]) => `| ${k} | ${escapeCell(v)} |`);
  return [
    `<!-- bench:begin ${s.suite} -->`,
    `## ${s.result.title}`,
    '',
    `Suite \`${s.suite}\`, run ${s.date.toISOString().replace(/\.\d{3}Z$/, 'Z')} with:`,
    '',
    '```sh',
    s.command,
    '```',
    '',
    '| Machine | |',
    '|---|---|',
    ...rows,
    '',
    s.result.markdown.trim(),
    '',
    `<!-- bench:end ${s.suite} -->`,
    '',
  ].join('\n');
}

/** Writes `section` into the file, replacing that suite's previous section and keeping the others. */
export function updateBenchmarksDoc(file: string, suite: string, section: string): void {
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const sections = new Map<string, string>();
  for (const m of previous.matchAll(SECTION)) sections.set(m[1]!, m[0].endsWith('\n') ? m[0] : `${m[0]}\n`);
  sections.set(suite, section);
  // Sorted by suite name so the file does not reorder itself depending on which suite ran last.
  const body = [...sections.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, text]) => text).join('\n');
  writeFileSync(file, `${HEADER}\n${body}`);
}

function escapeCell(v: string): string {
  return v.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
