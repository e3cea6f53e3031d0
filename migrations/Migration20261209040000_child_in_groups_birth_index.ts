import { Migration } from '@mikro-orm/migrations';

/**
 * The daily `groups-age-out` job looks for active children still in a group whose 16th birthday has passed
 * (GoldenRecordService.enqueueAgedOut). Only children in a group are indexed, and a child leaves the index
 * when its recompute empties `group_clauses`: the look-up reads the few rows due, not the population.
 */
export class Migration20261209040000_child_in_groups_birth_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE INDEX IF NOT EXISTS child_in_groups_birth_idx ON child (birth_date) WHERE status = 'ACTIVE' AND group_clauses <> '{}';`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS child_in_groups_birth_idx;');
  }
}
