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
 * when they are listed, and the load then runs while they are checksummed); a read whose size shows only as
 * it goes (HTTP pages, file after file) switches when it gets there, loading in the background while
 * look-ups go on.
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
  /** The table was there before the first batch was staged: every record is judged by it. */
  private loadedAtBegin = false;
  private threshold = Infinity;
  /** Records staged so far, and the records the files announced so far are expected to hold. */
  private seen = 0;
  private expected = 0;
  /** Keys of batches that may be stored after the load's snapshot. */
  private uncertain: Array<ReadonlySet<string>> = [];
  /** The source's size as the planner estimates it, asked for when the files were listed. */
  private estimated: Promise<number> | null = null;
  /** A load started when the files were listed, before the first batch. */
  private early: Promise<KnownRecords | null> | null = null;
  private readonly abort = new AbortController();

  /**
   * @param opts.loadAtOnce Load before the first batch whatever the sizes: a sync that tells which stored records
   *   it did not read (see ConnectorSyncService: records gone from an HTTP source) must judge every record by the table.
   */
  constructor(
    private readonly pool: Pool,
    private readonly sourceSystem: string,
    private readonly log: Logger,
    private readonly opts: { loadAtOnce?: boolean } = {},
  ) {}

  /**
   * Before the first batch is staged (nothing of this sync is stored yet): a small source is loaded now.
   * Later calls do nothing.
   */
  async begin(): Promise<void> {
    if (this.begun) return;
    this.begun = true;
    const estimate = await (this.estimated ?? KnownRecords.estimate(this.pool, this.sourceSystem));
    this.threshold = estimate * READ_PER_STORED;
    if (this.opts.loadAtOnce || worthLoading(estimate, this.expected)) {
      this.table = await (this.early ?? this.load(estimate));
      this.settled = true;
      this.loadedAtBegin = true;
    } else if (this.early) {
      // Started for files that turned out not to be read (already ingested): not worth waiting for, but
      // nothing of this sync is stored yet, so it is used when it arrives like any background load.
      this.background(this.early);
    }
  }

  /**
   * The files the read will consider, before they are checksummed (which reads each of them whole): if what
   * they hold is worth loading the stored keys for, the load starts now, so that PostgreSQL sends the keys
   * while the files are checksummed. Files then found already ingested are not read; when what is read
   * after all is not worth the load, {@link begin} does not wait for it.
   */
  filesListed(sizeBytes: number): void {
    if (this.begun || this.estimated) return;
    const expected = Math.ceil(sizeBytes / FILE_BYTES_PER_RECORD);
    this.estimated = KnownRecords.estimate(this.pool, this.sourceSystem);
    // Runs before `begin` resumes from awaiting the same estimate (reactions run in order).
    this.estimated.then(
      (estimate) => {
        if (this.abort.signal.aborted || !worthLoading(estimate, expected)) return;
        this.early = this.load(estimate);
        this.early.catch(() => undefined); // awaited by `begin`, or handled by `background`
      },
      () => undefined, // `begin` awaits the estimate and reports its failure
    );
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
      this.uncertain.push(inFlight, staging);
      this.background(this.load());
    }
    return null;
  }

  /** The table records are judged by, once that is decided (null: none, or not yet). */
  get settledTable(): KnownRecords | null {
    return this.settled ? this.table : null;
  }

  /**
   * The table, when every record staged so far was judged by it: loaded before the first batch (see
   * `loadAtOnce`), not installed part-way through a read that looked records up until then. Null otherwise.
   */
  get wholeReadTable(): KnownRecords | null {
    return this.settled && this.loadedAtBegin ? this.table : null;
  }

  /** Uses `load` once it is there (see {@link forSlice}); records are looked up meanwhile. */
  private background(load: Promise<KnownRecords | null>): void {
    this.loading = true;
    load.then(
      (table) => (this.loaded = table),
      (err: { code?: string }) => {
        this.log.warn({ code: err.code }, 'could not load the stored keys: records are looked up by batch');
        this.loaded = null;
      },
    );
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

/** Whether a source of `estimate` stored records is worth loading for a read expected to hold `expected` records. */
function worthLoading(estimate: number, expected: number): boolean {
  return estimate <= LOAD_AT_ONCE || expected >= estimate * READ_PER_STORED;
}
