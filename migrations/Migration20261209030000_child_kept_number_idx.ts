import { Migration } from '@mikro-orm/migrations';

/**
 * The numbers children keep with no source giving them — issued by the population database, or verified by
 * it and since dropped by their source (the golden stage keeps them; `provenance` then names no record for
 * `identityNumber`) — for ingest to link a record carrying one to its child. A few rows, however many
 * children: a record whose number no linked record carries is looked for here, and a miss (every number of
 * a new register file) costs a walk of one small index page instead of a probe of a table-sized index.
 * MERGED children are included so a record follows a merge to the child that survived.
 */
export class Migration20261209030000_child_kept_number_idx extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE INDEX child_kept_number_idx ON child (identity_number) WHERE identity_number IS NOT NULL AND NOT (provenance ? 'identityNumber');`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS child_kept_number_idx;');
  }
}
