import { Migration } from '@mikro-orm/migrations';

/**
 * Typed projections the connectors feed (docs/connectors.md#projections). Each child-side projection row
 * belongs to the source record it came from, not to a child: readers reach the child through
 * `source_record.child_id` (and `child.merged_into_id`), so facts follow their record through merges and
 * splits, and a changed record replaces its rows. Facilities are keyed by code and inspections by
 * (facility code, report number); placements name a facility by code, so a children sheet may land before
 * the facility sheet that describes the facility. `placement` and `inspection` are recreated: nothing
 * wrote them before this migration.
 */
export class Migration20261125040000_projections extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE TABLE health_screening (
  id text PRIMARY KEY,
  source_record_id text NOT NULL REFERENCES source_record(id),
  screened_on date,
  kind text NOT NULL CHECK (kind IN ('DEVELOPMENT', 'NUTRITION', 'HEARING', 'VISION', 'DISABILITY', 'NEWBORN', 'GENERAL')),
  code text,
  result text,
  interpretation text CHECK (interpretation IN ('NORMAL', 'ABNORMAL', 'REFERRED')),
  performer text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX health_screening_source_record_idx ON health_screening (source_record_id);

CREATE TABLE vaccination (
  id text PRIMARY KEY,
  source_record_id text NOT NULL REFERENCES source_record(id),
  vaccine_code text NOT NULL,
  vaccine_name text,
  occurred_on date,
  dose_number integer CHECK (dose_number >= 0),
  status text NOT NULL CHECK (status IN ('COMPLETED', 'NOT_DONE')),
  performer text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vaccination_source_record_idx ON vaccination (source_record_id);

-- Named disability_record: "disability" reads like a lookup of disability types.
CREATE TABLE disability_record (
  id text PRIMARY KEY,
  source_record_id text NOT NULL REFERENCES source_record(id),
  type text,
  severity text CHECK (severity IN ('NHE', 'NANG', 'DAC_BIET_NANG')),
  assessed_on date,
  inclusive_education boolean,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX disability_record_source_record_idx ON disability_record (source_record_id);

CREATE TABLE school_enrolment (
  id text PRIMARY KEY,
  source_record_id text NOT NULL REFERENCES source_record(id),
  student_code text NOT NULL,
  school_year text,
  school_code text,
  school_name text,
  level text,
  grade integer CHECK (grade >= 0),
  class_name text,
  status text NOT NULL CHECK (status IN ('STUDYING', 'DROPPED_OUT')),
  inclusive_education boolean,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX school_enrolment_source_record_idx ON school_enrolment (source_record_id);

CREATE TABLE birth_registration (
  id text PRIMARY KEY,
  source_record_id text NOT NULL REFERENCES source_record(id),
  registration_number text NOT NULL,
  book text,
  registered_on date,
  registered_at text,
  commune_code text,
  father_name text,
  mother_name text,
  declarant_name text,
  declarant_relation text,
  note text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX birth_registration_source_record_idx ON birth_registration (source_record_id);

CREATE TABLE adoption_registration (
  id text PRIMARY KEY,
  source_record_id text NOT NULL REFERENCES source_record(id),
  registration_number text NOT NULL,
  book text,
  registered_on date,
  registered_at text,
  certificate_number text,
  adoptive_father_name text,
  adoptive_mother_name text,
  given_by text,
  prior_circumstance text,
  child_consent boolean,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX adoption_registration_source_record_idx ON adoption_registration (source_record_id);

-- Which record last described the facility (facility records are keyed by facility code).
ALTER TABLE facility ADD COLUMN source_system text;
ALTER TABLE facility ADD COLUMN external_id text;
CREATE INDEX facility_licence_idx ON facility (licence_status, id);

DROP TABLE placement;
CREATE TABLE placement (
  id text PRIMARY KEY,
  source_record_id text NOT NULL REFERENCES source_record(id),
  facility_code text NOT NULL,
  started_on date,
  reason text,
  seen_on date,
  inspection_report_number text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX placement_source_record_idx ON placement (source_record_id);
CREATE INDEX placement_facility_idx ON placement (facility_code);

DROP TABLE inspection;
CREATE TABLE inspection (
  id text PRIMARY KEY,
  facility_code text NOT NULL,
  report_number text NOT NULL,
  inspected_on date NOT NULL,
  inspecting_unit text,
  findings text,
  children_present integer CHECK (children_present >= 0),
  source_system text NOT NULL,
  external_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (facility_code, report_number)
);
CREATE INDEX inspection_facility_idx ON inspection (facility_code, inspected_on DESC);
`);
  }

  override async down(): Promise<void> {
    this.addSql(`
DROP TABLE IF EXISTS health_screening, vaccination, disability_record, school_enrolment, birth_registration,
  adoption_registration, placement, inspection;
DROP INDEX IF EXISTS facility_licence_idx;
ALTER TABLE facility DROP COLUMN IF EXISTS source_system, DROP COLUMN IF EXISTS external_id;

CREATE TABLE inspection (
  id text PRIMARY KEY,
  facility_id text NOT NULL REFERENCES facility(id),
  source_system text NOT NULL,
  external_id text NOT NULL,
  inspected_on date NOT NULL,
  inspecting_unit text,
  findings text,
  children_present integer,
  raw jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source_system, external_id)
);
CREATE INDEX inspection_facility_idx ON inspection (facility_id, inspected_on DESC);

CREATE TABLE placement (
  id text PRIMARY KEY,
  child_id text NOT NULL REFERENCES child(id),
  facility_id text NOT NULL REFERENCES facility(id),
  started_on date,
  ended_on date,
  reason text,
  source_record_id text REFERENCES source_record(id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX placement_child_idx ON placement (child_id);
CREATE INDEX placement_facility_idx ON placement (facility_id);
`);
  }
}
