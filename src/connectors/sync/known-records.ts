import type { Pool } from 'pg';
import pgCopy from 'pg-copy-streams';
import { decodeCopyFields, eachCopyRow } from '../../db/copy-text.js';

/** What {@link KnownRecords.judge} decided about one record. */
export type Judgement =
  /** Nothing is stored under the key: a new record (written by COPY; if someone stored it meanwhile, by key). */
  | 'absent'
  /** The stored content hash equals the record's: nothing to do. */
  | 'unchanged'
  /** Something else is stored under the key: look it up for its id and child, then write it. */
  | 'changed'
  /** This sync wrote the key already: what was known is stale, so the record is written by key (the write compares hashes). */
  | 'written';

/** Entries the table holds at most: 12 bytes and a bit a slot, about 16 bytes per entry (up to 32 just after it grew). */
export const KNOWN_RECORDS_MAX = 2_000_000;

/** Entries per slot at which the table grows (open addressing, linear probing). */
const MAX_LOAD = 0.75;
/** Entries per slot of the content index (sized once, for the entries there are). */
const CONTENT_LOAD = 0.7;
const INITIAL_SLOTS = 1 << 16;
/** A slot's content value for "written by this sync": never equal to a record's ({@link contentPair} avoids it). */
const WRITTEN = 0;

/**
 * What one source has stored — for every record, its key and content hash — held by a sync that reads the
 * whole source (a file, a first or full HTTP read), so it can tell a new, an unchanged and a changed record
 * apart without asking PostgreSQL record by record. Loaded once by one COPY of two columns; a record is then
 * judged by a hash of its key, 64 bits of its content hash and a probe, and only changed records are looked up.
 *
 * The table keeps 32 bits of each key and 64 of each content hash, in a typed array (outside the JavaScript
 * heap: about 17 MB for a million records). A wrong judgement would need two keys with the same 32 bits
 * (they are then both judged "changed" and looked up) and, on top, equal 64-bit content values: "unchanged"
 * is never decided on less than 64 bits of the content hash. A key this sync writes is marked, and any later
 * record with that key is written by key, so the table never has to know what this sync wrote.
 *
 * It also remembers, a bit per slot, which entries this sync read as they are stored (judged or recognised
 * unchanged), so that a later copy of such a record with other content (an overlapping file of the drop) is
 * known to repeat an id read earlier in the sync, as a copy this sync wrote is (see {@link judge}).
 *
 * "absent" is safe by construction: a record someone else stored meanwhile makes the COPY of its batch fail,
 * and the batch is then written by key (see IngestService.store).
 */
export class KnownRecords {
  private slots: number;
  /**
   * Slot `i` is `t[3i]` (the key's 32 bits; 0: empty) and `t[3i + 1]`, `t[3i + 2]` (the content value):
   * side by side, so a probe of a table far larger than the CPU's caches costs one memory access, not three.
   */
  private t: Uint32Array;
  private count = 0;
  /**
   * The entries by content (built when first asked, see {@link storedSlot}): slot `j` is `c[3j]`, `c[3j + 1]`
   * (an entry's content value, placed by its first 32 bits: a SHA-256 digest's own bits, already uniform)
   * and `c[3j + 2]` (1 + the entry's index in `t`; 0: empty). A probe that finds the record costs one memory
   * access (reading `t` instead, for the content, cost 0.35 s more per million records here). 70% full at
   * most: about 17 MB for a million records.
   */
  private byContent: Uint32Array | null = null;
  /**
   * Bit `s` set: slot `s`'s record was read by this sync as it is stored (see {@link judge}, {@link readStored}).
   * A bit per slot: about 230 KB for a million records, beside the table's 17 MB.
   */
  private seen: Uint32Array;

  private constructor(slots: number) {
    this.slots = slots;
    this.t = new Uint32Array(slots * 3);
    this.seen = new Uint32Array(Math.ceil(slots / 32));
  }

  /** An empty table, to which a sync adds records as it reads them ({@link addRead}). */
  static empty(): KnownRecords {
    return new KnownRecords(1024);
  }

  /** A table of the given records (`[external id, content hash]`). */
  static of(records: Iterable<readonly [string, string]>): KnownRecords {
    const table = new KnownRecords(1024);
    for (const [externalId, hash] of records) table.add(keyHash(externalId), hash);
    return table;
  }

  /**
   * Loads the keys and content hashes of `sourceSystem`'s records, or returns null when it has more than
   * `max` (the sync then looks records up batch by batch).
   */
  static async load(pool: Pool, sourceSystem: string, opts: { max?: number; estimate?: number; signal?: AbortSignal } = {}): Promise<KnownRecords | null> {
    const max = opts.max ?? KNOWN_RECORDS_MAX;
    // Sized from the planner's estimate, so it rarely has to grow.
    const estimate = opts.estimate ?? (await KnownRecords.estimate(pool, sourceSystem));
    if (estimate > max * 1.5) return null;
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      const table = new KnownRecords(Math.max(INITIAL_SLOTS, Math.ceil(Math.min(estimate * 1.05, max) / MAX_LOAD)));
      const stream = client.query(pgCopy.to(`COPY (SELECT external_id, content_hash FROM source_record WHERE source_system = ${client.escapeLiteral(sourceSystem)}) TO STDOUT`));
      const whole = await eachCopyRow(stream as AsyncIterable<Buffer>, (buf, start, end) => {
        table.addRow(buf, start, end);
        return table.count <= max && !opts.signal?.aborted;
      });
      if (!whole) {
        // Too many to hold, or no longer wanted: stop reading, and drop the connection (it is still in COPY).
        broken = new Error('known records: load stopped; connection dropped');
        stream.destroy();
        return null;
      }
      return table;
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** The planner's estimate of the records `sourceSystem` has stored (no count: that reads a whole index). */
  static async estimate(pool: Pool, sourceSystem: string): Promise<number> {
    const plan = await pool.query<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(
      'EXPLAIN (FORMAT JSON) SELECT 1 FROM source_record WHERE source_system = $1',
      [sourceSystem],
    );
    return plan.rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0;
  }

  /** Entries held. */
  get size(): number {
    return this.count;
  }

  /**
   * What is known of the record stored under `externalId`, compared with `contentHash`. An entry found
   * unchanged is remembered as read by this sync. When the record differs from an entry of its key this sync
   * read as stored earlier, that entry (its key's 32 bits and its content) is added to `readEarlier`: the
   * record then repeats an id read earlier in the sync if what is stored under its key is still that entry's
   * content (`readEarlier.judge(externalId, storedHash) === 'unchanged'`, asked once its stored row is known;
   * the content decides it on 64 bits, as "unchanged" is: an entry of another key sharing the 32 bits never
   * has the same content).
   */
  judge(externalId: string, contentHash: string, readEarlier?: KnownRecords): Judgement {
    const k = keyHash(externalId);
    contentPair(contentHash);
    const { t, slots, seen } = this;
    let changed = false;
    for (let i = slotOf(k, slots) * 3; t[i] !== 0; i = i + 3 === t.length ? 0 : i + 3) {
      if (t[i] !== k) continue;
      if (t[i + 1] === WRITTEN && t[i + 2] === WRITTEN) return 'written';
      const s = i / 3;
      if (t[i + 1] === pair1 && t[i + 2] === pair2) {
        seen[s >>> 5]! |= 1 << (s & 31);
        return 'unchanged';
      }
      changed = true;
      // Rare (a repeat, or another key sharing the 32 bits): the entry is copied before markWritten clears it.
      if (readEarlier && (seen[s >>> 5]! & (1 << (s & 31))) !== 0) readEarlier.insert(k, t[i + 1]!, t[i + 2]!);
    }
    return changed ? 'changed' : 'absent';
  }

  /**
   * {@link stillStored}, and if so the entry is remembered as read by this sync, as one {@link judge} finds
   * unchanged is: a record the reader recognised by its text.
   */
  readStored(token: number): boolean {
    if (!this.stillStored(token)) return false;
    const s = token / 3;
    this.seen[s >>> 5]! |= 1 << (s & 31);
    return true;
  }

  /**
   * Adds a record this sync read as it is stored without judging it by this table (looked up in PostgreSQL):
   * for {@link judge}'s `readEarlier`, which then knows it too.
   */
  addRead(externalId: string, contentHash: string): void {
    this.add(keyHash(externalId), contentHash);
  }

  /**
   * The entry stored with content hash `contentHash`, as a token for {@link stillStored} (which tells whether
   * this sync has written its key since); -1 if there is none. A record whose content hash is stored is the very record
   * stored, key and all — the hash covers everything its key is derived from (the mapping, the record type,
   * the record's text and layout) — so it is recognised without its key: what lets a reader skip parsing it
   * (`RawRecord.known`). "Stored" is still decided on 64 bits of the content hash, as by {@link judge}.
   */
  storedSlot(contentHash: string): number {
    contentPair(contentHash);
    const c = this.byContent ?? this.indexContent();
    const slots = c.length / 3;
    for (let j = slotOf(pair1, slots) * 3; c[j + 2] !== 0; j = j + 3 === c.length ? 0 : j + 3) {
      if (c[j] === pair1 && c[j + 1] === pair2) return c[j + 2]! - 1;
    }
    return -1;
  }

  /**
   * Whether the entry {@link storedSlot} gave is still as stored: false once this sync wrote its key (see
   * {@link markWritten}), as a record read earlier may have. A recognised record is judged by this, in
   * order with the records around it.
   */
  stillStored(token: number): boolean {
    return this.t[token + 1] !== WRITTEN || this.t[token + 2] !== WRITTEN;
  }

  /** Lets the content index go (recognising is not worth it for this read); it is built again if asked for. */
  dropContentIndex(): void {
    this.byContent = null;
  }

  private indexContent(): Uint32Array {
    const slots = Math.max(1024, Math.ceil(this.count / CONTENT_LOAD));
    const c = new Uint32Array(slots * 3);
    const { t } = this;
    for (let i = 0; i < t.length; i += 3) {
      // An empty slot, or a key written already: nothing to recognise.
      if (t[i] === 0 || (t[i + 1] === WRITTEN && t[i + 2] === WRITTEN)) continue;
      let j = slotOf(t[i + 1]!, slots) * 3;
      while (c[j + 2] !== 0) j = j + 3 === c.length ? 0 : j + 3;
      c[j] = t[i + 1]!;
      c[j + 1] = t[i + 2]!;
      c[j + 2] = i + 1;
    }
    this.byContent = c;
    return c;
  }

  /**
   * Marks a key this sync is writing (a known key: an absent one needs no mark). Every entry with the key's
   * 32 bits is marked: another key sharing them is only written by key too.
   */
  markWritten(externalId: string): void {
    const k = keyHash(externalId);
    const { t, slots } = this;
    for (let i = slotOf(k, slots) * 3; t[i] !== 0; i = i + 3 === t.length ? 0 : i + 3) {
      if (t[i] !== k) continue;
      t[i + 1] = WRITTEN;
      t[i + 2] = WRITTEN;
    }
  }

  /**
   * Marks every entry with `externalId`'s 32 bits as read by this sync without judging the record: one the
   * source sent that could not be stored (a record its reader or mapping refused, quarantined with its id).
   * The source still holds it, so it must not count as gone from the source (see {@link isUnread}).
   */
  markRead(externalId: string): void {
    const k = keyHash(externalId);
    const { t, slots, seen } = this;
    for (let i = slotOf(k, slots) * 3; t[i] !== 0; i = i + 3 === t.length ? 0 : i + 3) {
      if (t[i] !== k) continue;
      const s = i / 3;
      seen[s >>> 5]! |= 1 << (s & 31);
    }
  }

  /**
   * Whether the record stored under `externalId` with content hash `contentHash` (a row of the source as the
   * table was loaded) is one this sync never read: its entry is there, neither read as stored nor written by
   * this sync. Decided only when it surely is: an entry is found by its key's 32 bits and 64 bits of its
   * content, so a record read, written (whose entries {@link markWritten} cleared, with any other key sharing
   * its 32 bits), or stored after the load (no entry) is never taken for one the sync did not read.
   */
  isUnread(externalId: string, contentHash: string): boolean {
    const k = keyHash(externalId);
    contentPair(contentHash);
    return this.unreadEntry(k);
  }

  /** Whether the entry of key bits `k` and the content pair {@link contentPair} left is held and was never met. */
  private unreadEntry(k: number): boolean {
    const { t, slots, seen } = this;
    for (let i = slotOf(k, slots) * 3; t[i] !== 0; i = i + 3 === t.length ? 0 : i + 3) {
      if (t[i] !== k || t[i + 1] !== pair1 || t[i + 2] !== pair2) continue;
      const s = i / 3;
      return (seen[s >>> 5]! & (1 << (s & 31))) === 0;
    }
    return false;
  }

  /** One COPY text row `external_id \t content_hash`, bytes `start` to `end` of `buf`. */
  private addRow(buf: Buffer, start: number, end: number): void {
    const k = rowKeyAndContent(buf, start, end);
    if (k !== 0) this.insert(k, pair1, pair2);
  }

  /**
   * {@link isUnread} of a COPY text row `external_id \t content_hash` (bytes `start` to `end` of `buf`), hashed
   * where it lies, as the table is loaded: no string is made (about 0.3 µs a row instead of 1.5).
   */
  isUnreadRow(buf: Buffer, start: number, end: number): boolean {
    const k = rowKeyAndContent(buf, start, end);
    return k !== 0 && this.unreadEntry(k);
  }

  private add(k: number, contentHash: string): void {
    contentPair(contentHash);
    this.insert(k, pair1, pair2);
  }

  private insert(k: number, a: number, b: number): void {
    this.byContent = null;
    if ((this.count + 1) > this.slots * MAX_LOAD) this.grow();
    this.put(k, a, b);
    this.count++;
  }

  /** Puts an entry in a free slot; returns its index in `t`. */
  private put(k: number, a: number, b: number): number {
    const { t, slots } = this;
    let i = slotOf(k, slots) * 3;
    while (t[i] !== 0) i = i + 3 === t.length ? 0 : i + 3;
    t[i] = k;
    t[i + 1] = a;
    t[i + 2] = b;
    return i;
  }

  private grow(): void {
    this.byContent = null;
    const old = this.t;
    const oldSeen = this.seen;
    this.slots *= 2;
    this.t = new Uint32Array(this.slots * 3);
    this.seen = new Uint32Array(Math.ceil(this.slots / 32));
    for (let i = 0; i < old.length; i += 3) {
      if (old[i] === 0) continue;
      const at = this.put(old[i]!, old[i + 1]!, old[i + 2]!) / 3;
      const s = i / 3;
      if ((oldSeen[s >>> 5]! & (1 << (s & 31))) !== 0) this.seen[at >>> 5]! |= 1 << (at & 31);
    }
  }
}

/**
 * The key bits of a COPY text row `external_id \t content_hash` (bytes `start` to `end` of `buf`), with its
 * content pair left in `pair1`/`pair2`; 0 for a row without both fields. The common case hashes the bytes
 * where they are: no string is made. A backslash is an escaped character (or `\N`, which neither column
 * holds): that row is decoded.
 */
function rowKeyAndContent(buf: Buffer, start: number, end: number): number {
  const tab = buf.indexOf(9, start);
  if (tab < 0 || tab > end) return 0;
  let h = 0x811c9dc5 ^ (tab - start);
  let escaped = false;
  for (let i = start; i < tab; i++) {
    const c = buf[i]!;
    if (c === 92) escaped = true;
    h = Math.imul(h ^ c, 0x01000193);
  }
  if (!escaped) for (let i = tab + 1; i < end; i++) if (buf[i] === 92) escaped = true;
  if (escaped) {
    const [id, hash] = decodeCopyFields(buf.subarray(start, end));
    if (id == null || hash == null) return 0;
    contentPair(hash);
    return keyHash(id);
  }
  contentPairOfBytes(buf, tab + 1, end);
  return finishKey(h);
}

function slotOf(k: number, slots: number): number {
  return Math.floor((k / 4294967296) * slots);
}

/**
 * 32 bits of a key, never 0 (an empty slot), over its UTF-8 bytes (what the table is loaded from), mixed so
 * that similar keys spread over the table.
 */
function keyHash(s: string): number {
  let h = 0x811c9dc5 ^ utf8Length(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) h = Math.imul(h ^ c, 0x01000193);
    else for (const byte of Buffer.from(String.fromCodePoint(s.codePointAt(i)!), 'utf8')) h = Math.imul(h ^ byte, 0x01000193);
    if (c >= 0xd800 && c <= 0xdbff) i++; // the low half of the pair was encoded with it
  }
  return finishKey(h);
}

function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

function finishKey(h: number): number {
  const k = fmix(h);
  return k === 0 ? 1 : k;
}

let pair1 = 0;
let pair2 = 0;

/**
 * 64 bits of a content hash into {@link pair1} and {@link pair2}, never both {@link WRITTEN}. A content hash is a
 * SHA-256 digest in base64url (43 characters): 64 of its first 72 bits are taken as they are (the first 32 bits
 * of characters 1–6 and of 7–12). Any other string is hashed whole (its UTF-8 bytes, as the table is loaded).
 */
function contentPair(s: string): void {
  if (s.length === DIGEST_CHARS && isDigest(s)) {
    pair1 = b64(s, 0);
    pair2 = b64(s, 6);
    if (pair1 === WRITTEN && pair2 === WRITTEN) pair2 = 1;
    return;
  }
  if (utf8Length(s) !== s.length) {
    const b = Buffer.from(s, 'utf8');
    contentPairOfBytes(b, 0, b.length);
    return;
  }
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  finishPair(a, b);
}

function contentPairOfBytes(buf: Buffer, start: number, end: number): void {
  if (end - start === DIGEST_CHARS && isDigestBytes(buf, start)) {
    pair1 = b64Bytes(buf, start);
    pair2 = b64Bytes(buf, start + 6);
    if (pair1 === WRITTEN && pair2 === WRITTEN) pair2 = 1;
    return;
  }
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ (end - start);
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  finishPair(a, b);
}

function finishPair(a: number, b: number): void {
  pair1 = fmix(a);
  pair2 = fmix(b);
  if (pair1 === WRITTEN && pair2 === WRITTEN) pair2 = 1;
}
/** Characters of a SHA-256 digest in base64url, without padding. */
const DIGEST_CHARS = 43;
/** Each base64url character's 6 bits by character code; -1: not base64url. */
const B64 = new Int8Array(128).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries()) B64[c.charCodeAt(0)] = i;

function isDigest(s: string): boolean {
  for (let i = 0; i < DIGEST_CHARS; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || B64[c]! < 0) return false;
  }
  return true;
}

function isDigestBytes(buf: Buffer, start: number): boolean {
  for (let i = start; i < start + DIGEST_CHARS; i++) {
    const c = buf[i]!;
    if (c >= 128 || B64[c]! < 0) return false;
  }
  return true;
}

/** The 32 bits that six base64url characters from `at` start with. */
function b64(s: string, at: number): number {
  return ((B64[s.charCodeAt(at)]! << 26) | (B64[s.charCodeAt(at + 1)]! << 20) | (B64[s.charCodeAt(at + 2)]! << 14) |
    (B64[s.charCodeAt(at + 3)]! << 8) | (B64[s.charCodeAt(at + 4)]! << 2) | (B64[s.charCodeAt(at + 5)]! >>> 4)) >>> 0;
}

function b64Bytes(buf: Buffer, at: number): number {
  return ((B64[buf[at]!]! << 26) | (B64[buf[at + 1]!]! << 20) | (B64[buf[at + 2]!]! << 14) |
    (B64[buf[at + 3]!]! << 8) | (B64[buf[at + 4]!]! << 2) | (B64[buf[at + 5]!]! >>> 4)) >>> 0;
}

/** MurmurHash3's finaliser: every input bit reaches every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
