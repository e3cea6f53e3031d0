import type { IngestService, Queryable } from '../../services/ingest/ingest.service.js';

/**
 * The records of a source that have an open reject, as a sync holds them: read once when the run starts
 * (most runs find none, and then cost nothing more), added to as the run quarantines records. A record
 * among them that the run stores, or reads valid and equal to what is stored, has its reject resolved in
 * the transaction of its batch, in one statement for the batch; other records are never looked up.
 * Dismissed rejects (closed by hand) are not read: storing their record leaves them as they are, and the
 * statement that quarantines a batch's rejects finds them itself.
 */
export class OpenRejects {
  private constructor(
    private readonly ids: Set<string>,
    /** Content hashes of what is stored under those records' keys (see {@link storedWithOpenReject}). */
    private readonly storedHashes: Set<string>,
  ) {}

  static async load(ingest: IngestService, db: Queryable, sourceSystem: string): Promise<OpenRejects> {
    const ids = new Set<string>();
    const storedHashes = new Set<string>();
    for (const k of await ingest.openRejectKeys(db, sourceSystem)) {
      ids.add(k.externalId);
      if (k.storedHash !== null) storedHashes.add(k.storedHash);
    }
    return new OpenRejects(ids, storedHashes);
  }

  /** Whether any record has an open reject: when not, nothing else here needs asking. */
  get any(): boolean {
    return this.ids.size > 0;
  }

  has(externalId: string): boolean {
    return this.ids.has(externalId);
  }

  /**
   * Records this run quarantined, with the content hash of what is stored under each id not known here yet (one
   * look-up), so that a later copy read as it is stored reaches the sync with its key ({@link storedWithOpenReject}).
   * Ids are never taken out once resolved: a batch staged while another commits may quarantine the record again,
   * and closing an already closed row is a no-op.
   */
  async addQuarantined(ingest: IngestService, db: Queryable, sourceSystem: string, externalIds: string[]): Promise<void> {
    const fresh = externalIds.filter((id) => !this.ids.has(id));
    for (const id of fresh) this.ids.add(id);
    if (fresh.length) for (const hash of await ingest.storedHashes(db, sourceSystem, fresh)) this.storedHashes.add(hash);
  }


  /**
   * Whether a record with this content hash is stored as it is and has an open reject: such a record must
   * reach the sync with its key (not be skipped unparsed by its text), so that its reject gets resolved.
   */
  storedWithOpenReject(contentHash: string): boolean {
    return this.storedHashes.size > 0 && this.storedHashes.has(contentHash);
  }
}
