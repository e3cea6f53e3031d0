import type { DryRunResult } from '../connectors/sync/connector-sync.service.js';

/**
 * The first line `connectors dry-run` prints: where it read, and what a sync would do with the records, counted as a
 * sync counts them. `repeated ids` are those that came again with other content (the run's repeatedIds); records
 * stored already as they are are counted apart (QA: told as records to store); a page the sync would hold stores
 * nothing (QA: "1000 would be stored" above the warning that the page would be held).
 */
export function dryRunSummary(name: string, r: Pick<DryRunResult, 'location' | 'fetched' | 'valid' | 'repeated' | 'identical' | 'unchanged' | 'rejects' | 'wouldFail'>): string {
  const again = [
    ...(r.repeated ? [`${r.repeated} repeated ${r.repeated === 1 ? 'id' : 'ids'} with other content, the last copy kept`] : []),
    ...(r.identical ? [`${r.identical} identical ${r.identical === 1 ? 'copy' : 'copies'}`] : []),
  ];
  const repeated = again.length ? ` (${again.join(', ')}: stored once, see WARN)` : '';
  const unchanged = r.unchanged ? `, ${r.unchanged} unchanged (stored as they are: a sync writes nothing for ${r.unchanged === 1 ? 'it' : 'them'})` : '';
  const head = `${name}: ${r.location ?? 'nothing to read'} — ${r.fetched} fetched`;
  if (r.wouldFail.includes('CONNECTOR_MAPPING_UNREAD') || r.wouldFail.includes('CONNECTOR_MAPPING_NARROWER')) return `${head}, none would be stored or quarantined (a sync would hold the page: see WARN)`;
  return `${head}, ${r.valid - r.repeated - r.identical - r.unchanged} would be stored${repeated}${unchanged}, ${r.rejects.length} would be quarantined`;
}
