import { AppError } from '../../errors/app-error.js';
import type { RecordIdsChange } from './record-ids.js';

/**
 * The definition gives a record type another id expression (`externalId`) than the connector's stored records were
 * stored under (./record-ids.ts): a sync would store every record again under a new id. Refused before anything is
 * read; retrying cannot help until the mapping is reverted or the records are rekeyed.
 */
export class RecordIdsChangedError extends AppError {
  override readonly name = 'RecordIdsChangedError';
  readonly code = 'CONNECTOR_RECORD_IDS_CHANGED';
  // Record types, counts and the connector's name: the hub's words and configuration only.
  override readonly messageIsSafe = true;
  constructor(readonly connector: string, readonly change: RecordIdsChange) {
    const types = change.recordTypes.join(', ');
    const n = change.stored;
    super(
      `connector ${connector}: the record id (externalId) of record type ${types} is not the one its ${n} stored record${n === 1 ? ' was' : 's were'} stored under. ` +
        'A sync now would store every record again under its new id, as a new record: each child without an identity number would appear a second time, as another child, ' +
        `and the ${n} record${n === 1 ? '' : 's'} under the old ids would stay as live evidence. Nothing was read. ` +
        `Either revert externalId in the definition, or give the stored records their new ids: childhub connectors rekey ${connector} (--dry-run first shows what it would do)`,
      { connector, recordTypes: change.recordTypes, stored: n },
    );
  }
}
