/** How a {@link GroupCommit} batches and what it does around each write. */
export interface GroupCommitOptions<T> {
  /** Writes items in one statement; rejects when it could not. */
  write: (items: T[]) => Promise<void>;
  /**
   * How long the first item of a batch waits for others before the write. 0: no waiting on purpose, only items
   * arriving in the same turn of the event loop, or while a write is in flight, share the next one. @defaultValue 0
   */
  batchWindowMs?: number;
  /** Most items in one write. */
  maxBatch: number;
  /**
   * Whether a shared write that failed with `err` is tried again item by item, so one bad item fails only its own
   * caller: a data error, yes; an outage, which would fail each alone too, no. @defaultValue every error
   */
  retryAlone?: (err: unknown) => boolean;
  /** Called for each item once it is durable. */
  onWritten?: (item: T) => void;
  /** Called for each failed write (a shared one not tried again, or an item alone), with how many items it fails. */
  onFailed?: (err: unknown, items: number) => void;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: items of concurrent callers go into one multi-row statement, and each caller's promise settles
 * only once its own item is durable (or could not be written). Used where every request or call must leave a row
 * before it goes on (the audit, the population database's call log) without a commit each.
 */
export class GroupCommit<T> {
  private pending: Array<Pending<T>> = [];
  private running: Promise<void> | null = null;

  constructor(private readonly options: GroupCommitOptions<T>) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.drain();
    });
  }

  /** Waits until every item added so far is written (or failed). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private drain(): void {
    if (this.running) return;
    const { batchWindowMs = 0, maxBatch } = this.options;
    this.running = (async () => {
      // Items of calls arriving meanwhile join the first batch.
      if (this.pending.length < maxBatch) {
        await new Promise<void>((r) => (batchWindowMs > 0 ? setTimeout(r, batchWindowMs) : setImmediate(r)));
      }
      while (this.pending.length) await this.writeBatch(this.pending.splice(0, maxBatch));
    })().finally(() => {
      this.running = null;
      // An item added after the loop's last check and before this ran (by a caller resumed by the last batch, whose
      // continuation runs first) is still written, not left until some later item starts a drain.
      if (this.pending.length) this.drain();
    });
  }

  private async writeBatch(batch: Array<Pending<T>>): Promise<void> {
    const { write, retryAlone = () => true } = this.options;
    try {
      await write(batch.map((p) => p.item));
    } catch (err) {
      if (batch.length > 1 && retryAlone(err)) {
        for (const p of batch) await this.writeBatch([p]);
        return;
      }
      this.options.onFailed?.(err, batch.length);
      for (const p of batch) p.reject(err);
      return;
    }
    for (const p of batch) {
      this.options.onWritten?.(p.item);
      p.resolve();
    }
  }
}
