import { Migration } from '@mikro-orm/migrations';

/**
 * A quarantined record stays one open row until it is resolved, instead of a new row every time it is read.
 *
 * - "The same record" is the same source system and external id; a record without an external id is the
 *   same record as one with the same payload (`payload_hash`, SHA-256 of the payload's JSON as stored).
 *   At most one row per record is open (`resolved_at IS NULL`), enforced by two partial unique indexes.
 * - Read again unchanged (same payload) and still invalid, the open row is kept: `last_seen_at`,
 *   `last_run_id` and `times_seen` (runs that read it) say it was seen again.
 * - Read again changed and still invalid, the open row is closed (`resolution = 'SUPERSEDED'`) and the
 *   new reading opens one: earlier payloads are kept.
 * - Stored by a later run (the source fixed it), or read valid and unchanged from what is stored, the
 *   open row is closed with `resolution = 'STORED'`. `resolved_by_run_id` names the run that closed it.
 *
 * Open rows already stored several times (every run re-quarantined them) are collapsed here: the newest
 * stays open, counting the runs that quarantined that same payload; the others are closed as superseded.
 */
export class Migration20261205000000_quarantine_open_rejects extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE rejected_record
      ADD COLUMN IF NOT EXISTS payload_hash text,
      ADD COLUMN IF NOT EXISTS last_seen_at timestamptz,
      ADD COLUMN IF NOT EXISTS last_run_id text REFERENCES connector_run(id),
      ADD COLUMN IF NOT EXISTS times_seen integer NOT NULL DEFAULT 1,
      ADD COLUMN IF NOT EXISTS resolved_by_run_id text REFERENCES connector_run(id),
      ADD COLUMN IF NOT EXISTS resolution text;`);
    this.addSql(`UPDATE rejected_record SET payload_hash = encode(sha256(convert_to(payload::text, 'UTF8')), 'hex'),
      last_seen_at = created_at, last_run_id = connector_run_id;`);
    // Nothing wrote resolved_at before; a row resolved by hand is taken as resolved by what was stored.
    this.addSql(`UPDATE rejected_record SET resolution = 'STORED' WHERE resolved_at IS NOT NULL;`);
    this.addSql(`WITH open AS (
        SELECT id, source_system, external_id, payload_hash, connector_run_id, created_at,
               row_number() OVER (PARTITION BY source_system, external_id IS NULL, coalesce(external_id, payload_hash)
                                  ORDER BY created_at DESC, id DESC) AS n
          FROM rejected_record WHERE resolved_at IS NULL
      ), runs AS (
        -- Counted once per group (equality keys, so the join below can hash): a subquery per kept row read
        -- every open row again, hours on a table every re-read had been filling.
        SELECT source_system, external_id IS NULL AS no_id, coalesce(external_id, '') AS eid, payload_hash,
               count(DISTINCT coalesce(connector_run_id, id)) AS runs
          FROM open GROUP BY 1, 2, 3, 4
      ), keeper AS (
        SELECT k.id, k.source_system, k.external_id, k.payload_hash, k.connector_run_id, k.created_at, r.runs
          FROM open k JOIN runs r ON r.source_system = k.source_system AND r.no_id = (k.external_id IS NULL)
                                 AND r.eid = coalesce(k.external_id, '') AND r.payload_hash = k.payload_hash
         WHERE k.n = 1
      ), closed AS (
        UPDATE rejected_record x SET resolved_at = k.created_at, resolution = 'SUPERSEDED', resolved_by_run_id = k.connector_run_id
          FROM open o JOIN keeper k ON k.source_system = o.source_system AND (k.external_id IS NULL) = (o.external_id IS NULL)
                                   AND coalesce(k.external_id, k.payload_hash) = coalesce(o.external_id, o.payload_hash)
         WHERE o.n > 1 AND x.id = o.id
      )
      UPDATE rejected_record x SET times_seen = k.runs FROM keeper k WHERE x.id = k.id;`);
    this.addSql(`ALTER TABLE rejected_record ALTER COLUMN payload_hash SET NOT NULL,
      ALTER COLUMN last_seen_at SET NOT NULL, ALTER COLUMN last_seen_at SET DEFAULT now(),
      ADD CONSTRAINT rejected_record_resolution_check CHECK ((resolved_at IS NULL) = (resolution IS NULL) AND resolution IN ('STORED', 'SUPERSEDED'));`);
    this.addSql(`CREATE UNIQUE INDEX rejected_record_open_external_id_idx ON rejected_record (source_system, external_id)
      WHERE resolved_at IS NULL AND external_id IS NOT NULL;`);
    this.addSql(`CREATE UNIQUE INDEX rejected_record_open_payload_idx ON rejected_record (source_system, payload_hash)
      WHERE resolved_at IS NULL AND external_id IS NULL;`);
    // rejectedRecords(runId) also finds the rows a run read again.
    this.addSql('CREATE INDEX rejected_record_last_run_idx ON rejected_record (last_run_id);');
  }

  override async down(): Promise<void> {
    // Rows closed stay closed (resolved_at predates this migration); how and by which run is dropped.
    this.addSql('DROP INDEX IF EXISTS rejected_record_last_run_idx;');
    this.addSql('DROP INDEX IF EXISTS rejected_record_open_payload_idx;');
    this.addSql('DROP INDEX IF EXISTS rejected_record_open_external_id_idx;');
    this.addSql('ALTER TABLE rejected_record DROP CONSTRAINT IF EXISTS rejected_record_resolution_check;');
    this.addSql(`ALTER TABLE rejected_record DROP COLUMN IF EXISTS resolution, DROP COLUMN IF EXISTS resolved_by_run_id,
      DROP COLUMN IF EXISTS times_seen, DROP COLUMN IF EXISTS last_run_id, DROP COLUMN IF EXISTS last_seen_at, DROP COLUMN IF EXISTS payload_hash;`);
  }
}
