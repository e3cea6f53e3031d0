/**
 * Records kept in a stable order by (last-modified time, id), the order the simulators page in. Paging by
 * the key of the last record served (keyset paging) stays complete and duplicate-free while records change:
 * a record modified during a run moves to the end and is served again there, nothing is skipped.
 */

/** A record's position key: last-modified time (ms since the epoch) and id. */
export interface Key {
  time: number;
  id: string;
}

export interface KeysetEntry<T> extends Key {
  item: T;
}

function compare(a: Key, b: Key): number {
  return a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export class KeysetIndex<T> {
  private entries: KeysetEntry<T>[];
  private readonly byId = new Map<string, KeysetEntry<T>>();

  constructor(entries: Iterable<KeysetEntry<T>>) {
    this.entries = [...entries].sort(compare);
    for (const e of this.entries) {
      if (this.byId.has(e.id)) throw new Error('duplicate id in a keyset index');
      this.byId.set(e.id, e);
    }
  }

  get size(): number {
    return this.entries.length;
  }

  at(position: number): KeysetEntry<T> | undefined {
    return this.entries[position];
  }

  get(id: string): KeysetEntry<T> | undefined {
    return this.byId.get(id);
  }

  /** The greatest time held (NaN when empty). */
  get maxTime(): number {
    return this.entries.length ? this.entries[this.entries.length - 1]!.time : Number.NaN;
  }

  /** Position of the first entry whose key is greater than `key` (or equal, with `inclusive`). */
  positionAfter(key: Key, inclusive = false): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compare(this.entries[mid]!, key);
      if (c > 0 || (inclusive && c === 0)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Position of the first entry with `time > t` (or `>=` with `inclusive`). */
  positionAfterTime(t: number, inclusive: boolean): number {
    // '' sorts before every id and '\uffff' after every id we hand out.
    return inclusive ? this.positionAfter({ time: t, id: '' }, true) : this.positionAfter({ time: t, id: '\uffff' });
  }

  /**
   * Adds a record at its place in the order. Positions already handed out stay valid as keys: a record
   * inserted after the last key served is served later in the same run, one inserted before it is not.
   */
  insert(entry: KeysetEntry<T>): void {
    if (this.byId.has(entry.id)) throw new Error('duplicate id in a keyset index');
    this.entries.splice(this.positionAfter(entry), 0, entry);
    this.byId.set(entry.id, entry);
  }

  /** Takes a record out (a source deleting it); false when there is none with the id. */
  remove(id: string): boolean {
    const old = this.byId.get(id);
    if (!old) return false;
    this.entries.splice(this.positionAfter(old, true), 1);
    this.byId.delete(id);
    return true;
  }

  /** Replaces a record and its time, keeping the order. */
  update(id: string, time: number, item: T): void {
    const old = this.byId.get(id);
    if (!old) throw new Error('no such record in the keyset index');
    const from = this.positionAfter(old, true);
    this.entries.splice(from, 1);
    const entry: KeysetEntry<T> = { time, id, item };
    this.entries.splice(this.positionAfter(entry), 0, entry);
    this.byId.set(id, entry);
  }
}
