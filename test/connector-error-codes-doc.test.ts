import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.js';

/**
 * Where a run's error, or the sync command's and mutation's, comes from: the connectors engine, the sync, and
 * the ingest and projection services it stores through.
 */
const SOURCES = ['src/connectors', 'src/services/ingest', 'src/services/projections'];

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(PROJECT_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [rel] : [];
  });
}

/**
 * Every code written in those sources: an error class's `readonly code = '…'` (whatever its prefix), and any
 * `'CONNECTOR_…'` or `'PROJECTION_…'` literal (codes chosen at run time, as a file's unreadable reason, or
 * written straight into a run, as CONNECTOR_RUN_INTERRUPTED and the CONNECTOR_SYNC_FAILED fallback).
 */
function codesInSources(): Set<string> {
  const codes = new Set<string>();
  for (const file of SOURCES.flatMap(sourceFiles)) {
    const text = readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
    for (const m of text.matchAll(/readonly code = '([A-Z][A-Z0-9_]*)'|'((?:CONNECTOR|PROJECTION)_[A-Z0-9_]*[A-Z0-9])'/g)) codes.add((m[1] ?? m[2])!);
  }
  return codes;
}

/** The codes of the table under "### Run error codes" in docs/connectors.md. */
function codesInDocs(): Set<string> {
  const doc = readFileSync(path.join(PROJECT_ROOT, 'docs/connectors.md'), 'utf8');
  const start = doc.indexOf('\n### Run error codes\n');
  expect(start, 'docs/connectors.md has a "### Run error codes" section').toBeGreaterThan(0);
  const section = doc.slice(start + 1).split(/\n#{2,3} /)[0]!;
  return new Set([...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!));
}

describe('run error codes in docs/connectors.md', () => {
  it('lists every code a connector error can carry, and none that no longer exists', () => {
    const inSources = codesInSources();
    const inDocs = codesInDocs();
    // The scan itself still finds what it is for (a reorganised source tree would otherwise pass silently).
    expect(inSources).toContain('CONNECTOR_SECRET_MISSING');
    expect(inSources).toContain('CONNECTOR_FILE_IO_ERROR');
    expect([...inSources].filter((c) => !inDocs.has(c)).sort(), 'codes missing from docs/connectors.md#run-error-codes').toEqual([]);
    expect([...inDocs].filter((c) => !inSources.has(c)).sort(), 'codes documented that the sources no longer have').toEqual([]);
  });
});
