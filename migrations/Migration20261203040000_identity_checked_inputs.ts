import { Migration } from '@mikro-orm/migrations';

/**
 * What a child's last recorded verification asked the population database: a digest of the number, the
 * name, the birth data and how the answer is read (abandoned child or not). A reconcile request enqueued
 * before that check, for the same inputs, is answered by it and costs no call from the registry's quota
 * (the golden stage asks again on every recompute of a child still unverified). A digest, so no second copy
 * of the personal data.
 */
export class Migration20261203040000_identity_checked_inputs extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE child ADD COLUMN IF NOT EXISTS identity_checked_inputs text;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE child DROP COLUMN IF EXISTS identity_checked_inputs;');
  }
}
