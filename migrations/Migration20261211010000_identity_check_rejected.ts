import { Migration } from '@mikro-orm/migrations';

/**
 * What the population database found not to belong to a number: for a MISMATCH, a digest of each value it
 * refused (`{ "fullName": …, "birthDate": …, "sex": … }`, see `src/services/identity/rejected-values.ts`), so
 * that survivorship prefers another source's value for that number over the one the registry refused (QA: a
 * health station's typo stayed the child's name while the school's record held the name the registry knows).
 * Digests, to compare values without a second copy of them; not a protection (a name or date can be recovered
 * from its digest by trying candidates): the column is as sensitive as the child's row, which holds the values.
 */
export class Migration20261211010000_identity_check_rejected extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE identity_check ADD COLUMN IF NOT EXISTS rejected jsonb;`);
    // The golden-record stage looks refusals up for every child it builds; few checks have any, so a partial
    // index keeps that look-up a probe of a tiny index rather than of every check.
    this.addSql(`CREATE INDEX IF NOT EXISTS identity_check_rejected_idx ON identity_check (child_id) WHERE rejected IS NOT NULL;`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS identity_check_rejected_idx;');
    this.addSql('ALTER TABLE identity_check DROP COLUMN IF EXISTS rejected;');
  }
}
