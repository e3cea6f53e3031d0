import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { KnownRecords } from './known-records.js';

/**
 * Records read per record stored before the stored keys are worth loading: a load costs about 1 µs per
 * stored record, a look-up about 10 µs per record read (both sides' CPU, measured on the bench machine).
 */
const READ_PER_STORED = 1 / 16;
/** A source with at most this many records is loaded before the first batch: cheaper than one batch of look-ups. */
const LOAD_AT_ONCE = 20_000;
/** Bytes of a file per record, at least, as far as the decision is concerned (an over-estimate of its records). */
const FILE_BYTES_PER_RECORD = 32;

/**
 * When a sync that reads its whole source starts judging records against {@link KnownRecords}, and the
 * hand-over from looking records up to it.
 *
 * A small source is loaded before the first batch. A larger one is loaded once the sync expects to read a
 * sixteenth as many records as it stores: a daily file of a few thousand rows into a source of a million
 * keeps its look-ups; a full export of it loads the keys before its first batch (files announce their size
 * before they are read); a read whose size shows only as it goes (HTTP pages, file after file) switches
 * when it gets there, loading in the background while look-ups go on.
 * The load's snapshot may predate the commit of batches stored meanwhile (the one in flight when it started,
 * and every one staged until the table is used): their keys are marked as written when the table is
 * installed, so they are written by key, never judged against what the snapshot holds.
 */
export class KnownRecordsHandover {
  private table: KnownRecords | null = null;
  /** What the background load gave (null: nothing to use); undefined while it runs or before it starts. */
  private loaded: KnownRecords | null | undefined;
  private begun = false;
  private loading = false;
  private settled = false;
  private threshold = Infinity;
  /** Records staged so far, and the records the files announced so far are expected to hold. */
  private seen = 0;
  private expected = 0;
  /** Keys of batches that may be stored after the load's snapshot. */
  private uncertain: Array<ReadonlySet<string>> = [];
  private readonly abort = new AbortController();

  constructor(
    private readonly pool: Pool,
    private readonly sourceSystem: string,
    private readonly log: Logger,
  ) {}

  /**
   * Before the first batch is staged (nothing of this sync is stored yet): a small source is loaded now.
   * Later calls do nothing.
   */
  async begin(): Promise<void> {
    if (this.begun) return;
    this.begun = true;
    const estimate = await KnownRecords.estimate(this.pool, this.sourceSystem);
    this.threshold = estimate * READ_PER_STORED;
    if (estimate <= LOAD_AT_ONCE || this.expected >= this.threshold) {
      this.table = await this.load(estimate);
      this.settled = true;
    }
  }

  /** A file of `sizeBytes` is about to be read. */
  fileStarted(sizeBytes: number): void {
    this.expected += Math.ceil(sizeBytes / FILE_BYTES_PER_RECORD);
  }

  /** A batch starts being staged by look-ups: while a load runs, it may be stored after the load's snapshot. */
  staging(keys: ReadonlySet<string>): void {
    if (this.loading && this.loaded === undefined) this.uncertain.push(keys);
  }

  /**
   * The table to judge the next slice of `n` records by, or null to look them up. `inFlight` and `staging`
   * are the keys of the batch being stored and of the one being staged, which a load starting now may not see.
   */
  forSlice(n: number, inFlight: ReadonlySet<string>, staging: ReadonlySet<string>): KnownRecords | null {
    if (this.settled) return this.table;
    if (this.loaded !== undefined) return this.install(this.loaded);
    this.seen += n;
    if (!this.loading && Math.max(this.seen, this.expected) >= this.threshold) {
      this.loading = true;
      this.uncertain.push(inFlight, staging);
      this.load().then(
        (table) => (this.loaded = table),
        (err: { code?: string }) => {
          this.log.warn({ code: err.code }, 'could not load the stored keys: records are looked up by batch');
          this.loaded = null;
        },
      );
    }
    return null;
  }

  /** Stops a load still running (the sync is over). */
  close(): void {
    this.abort.abort();
  }

  private install(table: KnownRecords | null): KnownRecords | null {
    if (table) for (const keys of this.uncertain) for (const key of keys) table.markWritten(key.slice(key.indexOf('\u0000') + 1));
    this.uncertain = [];
    this.table = table;
    this.settled = true;
    return table;
  }

  private async load(estimate?: number): Promise<KnownRecords | null> {
    const t0 = performance.now();
    const table = await KnownRecords.load(this.pool, this.sourceSystem, { estimate, signal: this.abort.signal });
    this.log.debug(
      { records: table?.size ?? null, ms: Math.round(performance.now() - t0) },
      table ? 'stored keys loaded: records are judged against them' : 'stored keys not loaded (too many, or the sync ended): records are looked up by batch',
    );
    return table;
  }
}
