import { Command } from 'commander';
import type { RekeyProblem, RekeyResult } from '../connectors/sync/record-rekey.js';
import { boot } from './bootstrap.js';

const out = (s = '') => process.stdout.write(`${s}\n`);

/**
 * `childhub connectors rekey <name> [--dry-run]`: after an edit of a record type's `externalId`, gives the
 * connector's stored records the ids the definition gives them now, so that its next sync finds them instead of
 * storing them all again (docs/connectors.md, "A changed record id"). Exit 1 when refused.
 */
export function rekeyCommand(): Command {
  return new Command('rekey')
    .description('Give a connector\'s stored records the ids its edited record id (externalId) gives them, derived from their stored payloads, in one transaction; '
      + 'refused, writing nothing, when two records would take one id or an id cannot be derived. Holds the connector\'s sync lock.')
    .argument('<name>')
    .option('--dry-run', 'say what would be renamed or refused, and write nothing')
    .action(async (name: string, opts: { dryRun?: boolean }) => {
      const b = await boot({ migrate: 'auto', pretty: true });
      try {
        const r = await b.ctx.connectors.rekey(name, { dryRun: !!opts.dryRun });
        for (const line of rekeyLines(r)) out(line);
        process.exitCode = r.refused ? 1 : 0;
      } finally {
        await b.shutdown();
      }
    });
}

const records = (n: number) => `${n} record${n === 1 ? '' : 's'}`;

/** What `connectors rekey` says: counts, and the first few stored record ids (`src_…`) of a refusal; never a value of a record. */
export function rekeyLines(r: RekeyResult): string[] {
  const head = `${r.connector}${r.dryRun ? ' (dry run: nothing written)' : ''}`;
  if (r.stored === 0) return [`${head}: no records stored by this connector: nothing to rekey`];
  const types = r.recordTypes.length ? ` (record id changed for record type ${r.recordTypes.join(', ')})` : '';
  if (r.refused) {
    const { collisions, taken, underivable } = r.refused;
    const named = (p: RekeyProblem) => p.first.map((f) => (f.problem ? `${f.id} (${f.problem})` : f.id)).join(', ') + (p.records > p.first.length ? ', …' : '');
    const lines = [`${head}: rekey refused, nothing written: the ${records(r.stored)} stored read again with the record id the definition gives now${types}:`];
    if (collisions.records) lines.push(`  ${records(collisions.records)} would share ${collisions.ids} id${collisions.ids === 1 ? '' : 's'} among them (two records under one id): ${named(collisions)}`);
    if (taken.records) lines.push(`  ${records(taken.records)} would take the id of a record another connector of the source stored: ${named(taken)}`);
    if (underivable.records) lines.push(`  ${records(underivable.records)} get no id from it (what is stored of them lacks a field the id reads, or holds a value it cannot take): ${named(underivable)}`);
    lines.push('fix externalId so that it gives every stored record an id of its own (check with --dry-run), or revert it; the ids above are stored record ids (SourceRecord.id)');
    return lines;
  }
  const renamed = r.renamed
    ? `${records(r.renamed)} ${r.dryRun ? 'would be ' : ''}renamed, ${r.unchanged} already under ${r.unchanged === 1 ? 'its' : 'their'} new id`
    : `all ${records(r.stored)} already under the ids the definition gives them: none ${r.dryRun ? 'would be ' : ''}renamed`;
  const lines = [`${head}: ${renamed} (of ${records(r.stored)} stored)${types}`];
  if (r.rejectsRenamed || r.rejectsKept) {
    lines.push(`rejects (open or dismissed): ${r.rejectsRenamed} ${r.dryRun ? 'would be ' : ''}renamed with their records; ${r.rejectsKept} keep their old id `
      + '(their new id cannot be told from what is kept of them: read again, they are quarantined under the new one; dismiss the old ones)');
  }
  lines.push(r.dryRun
    ? `run without --dry-run to rename them (no sync of ${r.connector} may run meanwhile)`
    : `the next sync reads the source again whole with the edited mapping and finds these records under their new ids (changed or unchanged, none new)`);
  return lines;
}
