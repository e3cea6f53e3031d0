import { Migration } from '@mikro-orm/migrations';

/** Population-database integration log, identity reconciliation results and issuance tracking. */
export class Migration20261125010000_identity extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
-- Every call to the population database: who, why, what, outcome, latency. Never the response body
-- (it holds religion, ethnicity, blood group). Append-only.
CREATE TABLE registry_call (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id text NOT NULL UNIQUE,
  operation text NOT NULL,
  transport text NOT NULL,
  child_id text,
  officer_id text NOT NULL,
  unit text NOT NULL,
  purpose_code text NOT NULL,
  case_ref text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('MATCH', 'MISMATCH', 'NOT_FOUND', 'FOUND', 'ACCEPTED', 'RATE_LIMITED',
    'UPSTREAM_ERROR', 'TIMEOUT', 'MALFORMED', 'REJECTED')),
  http_status integer,
  latency_ms integer NOT NULL,
  started_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX registry_call_child_idx ON registry_call (child_id, started_at);
CREATE INDEX registry_call_time_idx ON registry_call USING brin (started_at);
CREATE TRIGGER registry_call_append_only BEFORE UPDATE OR DELETE ON registry_call
  FOR EACH ROW EXECUTE FUNCTION childhub_forbid_change();

-- One row per reconciliation result. Unique per job run so a re-run after a crash records nothing twice.
CREATE TABLE identity_check (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  child_id text NOT NULL REFERENCES child(id),
  job_key text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('RECONCILE', 'ISSUANCE')),
  number text,
  status text NOT NULL,
  mismatched_fields text[] NOT NULL DEFAULT '{}',
  structural_findings jsonb NOT NULL DEFAULT '[]',
  request_id text,
  checked_at timestamptz NOT NULL DEFAULT now(),
  enqueued_at timestamptz
);
CREATE INDEX identity_check_child_idx ON identity_check (child_id, checked_at DESC);

-- Children waiting for a number to be issued (abandoned children after birth registration, or any child
-- with none): polled with growing intervals, flagged overdue after ISSUANCE_OVERDUE_DAYS.
CREATE TABLE identity_issuance (
  child_id text PRIMARY KEY REFERENCES child(id),
  requested_at timestamptz NOT NULL DEFAULT now(),
  due_at timestamptz NOT NULL,
  polls integer NOT NULL DEFAULT 0,
  last_polled_at timestamptz,
  next_poll_at timestamptz,
  issued_at timestamptz,
  issued_number text,
  overdue_at timestamptz
);
CREATE INDEX identity_issuance_open_idx ON identity_issuance (due_at) WHERE issued_at IS NULL;

ALTER TABLE child ADD COLUMN identity_verified_at timestamptz;
ALTER TABLE child ADD COLUMN identity_mismatched_fields text[] NOT NULL DEFAULT '{}';
ALTER TABLE child ADD COLUMN identity_checked_at timestamptz;
CREATE INDEX child_identity_due_idx ON child (identity_checked_at NULLS FIRST) WHERE status = 'ACTIVE';
`);
  }

  override async down(): Promise<void> {
    this.addSql(`
DROP TABLE IF EXISTS identity_issuance, identity_check, registry_call;
ALTER TABLE child DROP COLUMN IF EXISTS identity_verified_at, DROP COLUMN IF EXISTS identity_mismatched_fields,
  DROP COLUMN IF EXISTS identity_checked_at;
`);
  }
}
