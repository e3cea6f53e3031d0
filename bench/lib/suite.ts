/**
 * The contract between `bench/run.ts` and a benchmark suite. A suite is a file `bench/suites/<name>.bench.ts`
 * whose default export is a `BenchSuite`; the runner discovers it by file name, so adding a suite needs no
 * change to the runner.
 */
export interface BenchSuite {
  /** Short id used on the command line (`npm run bench -- <name>`) and as the section key in the report. */
  name: string;
  /** One line for `npm run bench -- --list`. */
  description: string;
  run(ctx: SuiteContext): Promise<SuiteResult>;
}

export interface SuiteContext {
  /** Progress output for people watching the run (not written to the report). */
  log(message: string): void;
}

export type Verdict = 'PASS' | 'FAIL' | 'NO_TARGET';

export interface SuiteResult {
  /** Heading of the suite's section in docs/benchmarks.md. */
  title: string;
  /** Facts about the system under test beyond the machine (e.g. the PostgreSQL version and settings). */
  facts: Record<string, string>;
  /** The section body in Markdown: results table, verdict, method notes. */
  markdown: string;
  /** Against the suite's target; FAIL also when the run was invalid (errors during load). */
  verdict: Verdict;
  /** Lines printed at the end of the run. */
  summary: string[];
}

/** Narrows a dynamically imported module's default export to a suite (suites are discovered at run time). */
export function isBenchSuite(value: unknown): value is BenchSuite {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.name === 'string' && typeof v.description === 'string' && typeof v.run === 'function';
}
