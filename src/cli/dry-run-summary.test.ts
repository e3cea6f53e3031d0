import { describe, expect, it } from 'vitest';
import { dryRunSummary } from './dry-run-summary.js';

const page = { location: 'page 1', fetched: 12, valid: 10, repeated: 1, identical: 1, unchanged: 3, rejects: [{}, {}] as never[], wouldFail: [] as string[] };

describe('the dry run\'s summary line', () => {
  it('counts as a sync does: stored, repeated, unchanged and quarantined apart', () => {
    expect(dryRunSummary('school', page)).toBe('school: page 1 — 12 fetched, 5 would be stored (1 repeated id with other content, the last copy kept, 1 identical copy: stored once, see WARN), '
      + '3 unchanged (stored as they are: a sync writes nothing for them), 2 would be quarantined');
    expect(dryRunSummary('school', { ...page, location: null, fetched: 0, valid: 0, repeated: 0, identical: 0, unchanged: 0, rejects: [] })).toBe('school: nothing to read — 0 fetched, 0 would be stored, 0 would be quarantined');
  });

  it('says a page the sync would hold stores nothing (QA: "1000 would be stored" above the warning that it would be held)', () => {
    expect(dryRunSummary('school-qa', { ...page, wouldFail: ['CONNECTOR_MAPPING_UNREAD'] })).toBe('school-qa: page 1 — 12 fetched, none would be stored or quarantined (a sync would hold the page: see WARN)');
    expect(dryRunSummary('school-qa', { ...page, wouldFail: ['CONNECTOR_MAPPING_NARROWER'] })).toMatch(/none would be stored or quarantined \(a sync would hold the page/);
    // Another failure (files refused) leaves the page's records to be stored.
    expect(dryRunSummary('school-qa', { ...page, wouldFail: ['CONNECTOR_FILES_REFUSED'] })).toMatch(/5 would be stored/);
  });
});
