import { Migration } from '@mikro-orm/migrations';

/**
 * Where a child's linked source records disagree (survivorship's `disagreementsOf`): per golden field, the
 * records on each side, as jsonb; null when they agree, as they do for most children. The partial index holds
 * only the children with a disagreement, in id order, so a steward's list of them (`children(filter:
 * { sourcesDisagree: true })`, or on given fields) pages through those rows, not the population. Existing
 * children get the column on their next recompute (the golden-record stage writes it); a column without a
 * default is added without rewriting the table.
 */
export class Migration20261214030000_child_disagreements extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE child ADD COLUMN IF NOT EXISTS disagreements jsonb;');
    this.addSql(`CREATE INDEX IF NOT EXISTS child_disagreements_idx ON child (id) WHERE status = 'ACTIVE' AND disagreements IS NOT NULL;`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS child_disagreements_idx;');
    this.addSql('ALTER TABLE child DROP COLUMN IF EXISTS disagreements;');
  }
}
