import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125000000_spine } from './Migration20261125000000_spine.js';
import { Migration20261125010000_identity } from './Migration20261125010000_identity.js';
import { Migration20261125020000_identity_indexes } from './Migration20261125020000_identity_indexes.js';
import { Migration20261125030000_connectors } from './Migration20261125030000_connectors.js';
import { Migration20261125040000_projections } from './Migration20261125040000_projections.js';
import { Migration20261125050000_source_record_write_path } from './Migration20261125050000_source_record_write_path.js';
import { Migration20261203000000_children_from_golden_stage } from './Migration20261203000000_children_from_golden_stage.js';
import { Migration20261203010000_ingest_write_path } from './Migration20261203010000_ingest_write_path.js';
import { Migration20261203020000_golden_write_path } from './Migration20261203020000_golden_write_path.js';
import { Migration20261203030000_known_records_index } from './Migration20261203030000_known_records_index.js';
import { Migration20261203040000_identity_checked_inputs } from './Migration20261203040000_identity_checked_inputs.js';
import { Migration20261204010000_source_record_text } from './Migration20261204010000_source_record_text.js';
import { Migration20261205000000_quarantine_open_rejects } from './Migration20261205000000_quarantine_open_rejects.js';
import { Migration20261205010000_connector_run_files_refused } from './Migration20261205010000_connector_run_files_refused.js';
import { Migration20261206000000_dismissed_rejects } from './Migration20261206000000_dismissed_rejects.js';
import { Migration20261207090000_connector_run_files_waiting } from './Migration20261207090000_connector_run_files_waiting.js';
import { Migration20261208030000_connector_run_repeated_ids } from './Migration20261208030000_connector_run_repeated_ids.js';
import { Migration20261209010000_issuance_request_ids } from './Migration20261209010000_issuance_request_ids.js';
import { Migration20261209030000_child_kept_number_idx } from './Migration20261209030000_child_kept_number_idx.js';
import { Migration20261209040000_child_in_groups_birth_index } from './Migration20261209040000_child_in_groups_birth_index.js';
import { Migration20261209050000_outbox_connector_sync_index } from './Migration20261209050000_outbox_connector_sync_index.js';

/** Every migration in order. Listed explicitly so the same list works from TypeScript sources and dist. */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261125000000_spine', class: Migration20261125000000_spine },
  { name: 'Migration20261125010000_identity', class: Migration20261125010000_identity },
  { name: 'Migration20261125020000_identity_indexes', class: Migration20261125020000_identity_indexes },
  { name: 'Migration20261125030000_connectors', class: Migration20261125030000_connectors },
  { name: 'Migration20261125040000_projections', class: Migration20261125040000_projections },
  { name: 'Migration20261125050000_source_record_write_path', class: Migration20261125050000_source_record_write_path },
  { name: 'Migration20261203000000_children_from_golden_stage', class: Migration20261203000000_children_from_golden_stage },
  { name: 'Migration20261203010000_ingest_write_path', class: Migration20261203010000_ingest_write_path },
  { name: 'Migration20261203020000_golden_write_path', class: Migration20261203020000_golden_write_path },
  { name: 'Migration20261203030000_known_records_index', class: Migration20261203030000_known_records_index },
  { name: 'Migration20261203040000_identity_checked_inputs', class: Migration20261203040000_identity_checked_inputs },
  { name: 'Migration20261204010000_source_record_text', class: Migration20261204010000_source_record_text },
  { name: 'Migration20261205000000_quarantine_open_rejects', class: Migration20261205000000_quarantine_open_rejects },
  { name: 'Migration20261205010000_connector_run_files_refused', class: Migration20261205010000_connector_run_files_refused },
  { name: 'Migration20261206000000_dismissed_rejects', class: Migration20261206000000_dismissed_rejects },
  { name: 'Migration20261207090000_connector_run_files_waiting', class: Migration20261207090000_connector_run_files_waiting },
  { name: 'Migration20261208030000_connector_run_repeated_ids', class: Migration20261208030000_connector_run_repeated_ids },
  { name: 'Migration20261209010000_issuance_request_ids', class: Migration20261209010000_issuance_request_ids },
  { name: 'Migration20261209030000_child_kept_number_idx', class: Migration20261209030000_child_kept_number_idx },
  { name: 'Migration20261209040000_child_in_groups_birth_index', class: Migration20261209040000_child_in_groups_birth_index },
  { name: 'Migration20261209050000_outbox_connector_sync_index', class: Migration20261209050000_outbox_connector_sync_index },
];
