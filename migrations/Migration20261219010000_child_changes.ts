import { Migration } from '@mikro-orm/migrations';

/**
 * A change feed for partner apps (`children(filter: { changedSince })`): `child.changed_xid` is the transaction that
 * last changed what the hub tells of the child (its golden fields, identity, groups, facts, merge), set by every
 * writer of those (src/services/changes/child-changes.ts). A transaction id, not a time: a pull's token is the
 * oldest transaction still running when it began (`pg_snapshot_xmin`), so a change committed after the pull began,
 * by a transaction that started before it, is still found by the next pull (a time would miss it).
 *
 * Children already stored get this migration's transaction (the column's default, which rewrites the table). No token
 * older than this release exists: a client takes its first from a full pull (README, "Upgrading").
 */
export class Migration20261219010000_child_changes extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE child ADD COLUMN IF NOT EXISTS changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id();');
    this.addSql('CREATE INDEX IF NOT EXISTS child_changed_idx ON child (changed_xid);');
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS child_changed_idx;');
    this.addSql('ALTER TABLE child DROP COLUMN IF EXISTS changed_xid;');
  }
}
