import { Migration } from '@mikro-orm/migrations';

/**
 * Who dismissed a reject, as the token that did names them (its subject), beside `resolved_by` (their officer number,
 * else that subject, as a run's requestedBy). The dismissal's note, free text that may hold anything, is released to
 * its author by the subject: an officer number is not known to be unique across agencies (QA: a token of another
 * agency carrying the same officer number read the note). Null for dismissals made before this column: their notes
 * are read only by the roles that read every class.
 */
export class Migration20261223010000_reject_note_author extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE rejected_record ADD COLUMN IF NOT EXISTS resolved_by_subject text;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE rejected_record DROP COLUMN IF EXISTS resolved_by_subject;');
  }
}
