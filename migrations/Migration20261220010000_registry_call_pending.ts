import { Migration } from '@mikro-orm/migrations';

/**
 * Every registry call on record, even one whose outcome could not be written (QA: with PostgreSQL restarted or a
 * worker killed mid-call, 22 of 13,981 calls had no `registry_call` row). A call is written to
 * `registry_call_pending` before it is made, and not made when that fails; its outcome row replaces it in one
 * statement. One left behind (the process died, or the database was away when the answer came) is turned by the
 * identity sweep into a `registry_call` row with the outcome `UNKNOWN` and no latency. The table holds only the calls
 * in flight: no index but its key (the sweep reads it whole).
 */
export class Migration20261220010000_registry_call_pending extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE TABLE IF NOT EXISTS registry_call_pending (
  request_id text PRIMARY KEY,
  operation text NOT NULL,
  transport text NOT NULL,
  child_id text,
  officer_id text NOT NULL,
  unit text NOT NULL,
  purpose_code text NOT NULL,
  case_ref text NOT NULL,
  started_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE registry_call DROP CONSTRAINT IF EXISTS registry_call_outcome_check;
ALTER TABLE registry_call ADD CONSTRAINT registry_call_outcome_check CHECK (outcome IN ('MATCH', 'MISMATCH', 'NOT_FOUND',
  'FOUND', 'ACCEPTED', 'RATE_LIMITED', 'UPSTREAM_ERROR', 'TIMEOUT', 'MALFORMED', 'REJECTED', 'UNKNOWN'));
ALTER TABLE registry_call ALTER COLUMN latency_ms DROP NOT NULL;
ALTER TABLE registry_call ADD CONSTRAINT registry_call_latency_known CHECK ((latency_ms IS NULL) = (outcome = 'UNKNOWN'));
`);
  }

  override async down(): Promise<void> {
    this.addSql(`
DROP TABLE IF EXISTS registry_call_pending;
ALTER TABLE registry_call DROP CONSTRAINT IF EXISTS registry_call_latency_known;
`);
  }
}
