import { Migration } from '@mikro-orm/migrations';

/**
 * A check an officer asks for (`requestIdentityReconciliation`), in their name: the registry call that answers it is
 * made with the requester's officer number, name, unit and purpose, and its case reference is the request's id
 * (QA: it went out as the hub's system officer, with nothing linking it to who asked). One open request per child:
 * a request while one is open joins it (QA: six at once made three calls). `http_request_id` is the audit's
 * `request_id` of the request's WRITE event.
 */
export class Migration20261221010000_identity_request extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE TABLE IF NOT EXISTS identity_request (
  id text PRIMARY KEY,
  child_id text NOT NULL REFERENCES child (id),
  requested_by text NOT NULL,
  officer_id text,
  officer_name text,
  agency text NOT NULL,
  unit text,
  purpose text NOT NULL,
  http_request_id text,
  requested_at timestamptz NOT NULL DEFAULT now(),
  answered_at timestamptz,
  answer text CHECK (answer IN ('CALLED', 'NO_CALL', 'FAILED', 'EXPIRED')),
  CHECK ((answered_at IS NULL) = (answer IS NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS identity_request_open_idx ON identity_request (child_id) WHERE answered_at IS NULL;
CREATE INDEX IF NOT EXISTS identity_request_child_idx ON identity_request (child_id, requested_at);
`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP TABLE IF EXISTS identity_request;');
  }
}
