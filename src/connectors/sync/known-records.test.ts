import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KnownRecords } from './known-records.js';

describe('KnownRecords', () => {
  const known = () => KnownRecords.of([
    ['KS-1', 'hash-one'],
    ['KS-2', 'hash-two'],
    ['Hồ sơ số 3', 'hash-three'],
  ]);

  it('tells an unchanged, a changed and an absent record apart', () => {
    const k = known();
    expect(k.size).toBe(3);
    expect(k.judge('KS-1', 'hash-one')).toBe('unchanged');
    expect(k.judge('KS-1', 'hash-two')).toBe('changed');
    expect(k.judge('KS-9', 'hash-one')).toBe('absent');
    expect(k.judge('Hồ sơ số 3', 'hash-three')).toBe('unchanged');
    expect(k.judge('Ho so so 3', 'hash-three')).toBe('absent');
  });

  it('tells the stored records a read never reached (isUnread): not those judged, written, recognised or marked read', () => {
    const k = KnownRecords.of(Array.from({ length: 2000 }, (_, i) => [`KS-${i}`, `hash-${i}`] as const));
    expect(k.judge('KS-1', 'hash-1')).toBe('unchanged');
    expect(k.judge('KS-2', 'other')).toBe('changed');
    k.markWritten('KS-2');
    k.markRead('KS-3'); // quarantined by its reader: still in the source
    const token = k.storedSlot('hash-4');
    expect(k.readStored(token)).toBe(true); // recognised by its text
    for (const i of [1, 2, 3, 4]) expect(k.isUnread(`KS-${i}`, `hash-${i}`)).toBe(false);
    expect(k.isUnread('KS-5', 'hash-5')).toBe(true);
    // Decided on the key and the content: another content under the key, or a key not held, is never "unread".
    expect(k.isUnread('KS-5', 'hash-6')).toBe(false);
    expect(k.isUnread('KS-new', 'hash-new')).toBe(false);
    const unread = Array.from({ length: 2000 }, (_, i) => i).filter((i) => k.isUnread(`KS-${i}`, `hash-${i}`));
    expect(unread).toHaveLength(1996);
  });

  it('remembers the entries it found unchanged (or recognised), and hands one to readEarlier when another copy of its key differs', () => {
    const k = KnownRecords.of(Array.from({ length: 5000 }, (_, i) => [`KS-${i}`, `hash-${i}`] as const));
    const readEarlier = KnownRecords.empty();
    // Not read yet: a changed copy hands nothing over.
    expect(k.judge('KS-1', 'other', readEarlier)).toBe('changed');
    expect(readEarlier.size).toBe(0);
    expect(k.judge('KS-1', 'hash-1', readEarlier)).toBe('unchanged');
    expect(k.judge('KS-1', 'other', readEarlier)).toBe('changed');
    // What is stored under KS-1 is the copy read earlier: the changed copy repeats it; other content stored would not.
    expect(readEarlier.judge('KS-1', 'hash-1')).toBe('unchanged');
    expect(readEarlier.judge('KS-1', 'hash-2')).toBe('changed');
    expect(readEarlier.judge('KS-2', 'hash-2')).toBe('absent');
    // A record the reader recognised by its text is read too.
    const token = k.storedSlot('hash-3');
    expect(k.readStored(token)).toBe(true);
    k.judge('KS-3', 'other', readEarlier);
    expect(readEarlier.judge('KS-3', 'hash-3')).toBe('unchanged');
    // Once written, a recognised entry no longer stands (and is not read).
    k.markWritten('KS-4');
    expect(k.readStored(k.storedSlot('hash-4'))).toBe(false);
    // Records read by look-up are added by hand, and keep their place as the table grows.
    for (let i = 0; i < 3000; i++) readEarlier.addRead(`LK-${i}`, `lk-${i}`);
    expect(readEarlier.judge('LK-2999', 'lk-2999')).toBe('unchanged');
    expect(readEarlier.judge('KS-1', 'hash-1')).toBe('unchanged');
  });

  it('keeps what it read across growing', () => {
    const k = KnownRecords.of([['KS-1', 'hash-1']]);
    expect(k.judge('KS-1', 'hash-1')).toBe('unchanged');
    // Growing (only a load adds entries, but the bits must follow their entries all the same).
    const grown = k as unknown as { add(key: number, hash: string): void };
    for (let i = 0; i < 2000; i++) grown.add(i + 2, `h${i}`);
    const readEarlier = KnownRecords.empty();
    expect(k.judge('KS-1', 'other', readEarlier)).toBe('changed');
    expect(readEarlier.judge('KS-1', 'hash-1')).toBe('unchanged');
  });

  it('judges a key this sync wrote as written, whatever its content, so the write by key decides', () => {
    const k = known();
    k.markWritten('KS-1');
    expect(k.judge('KS-1', 'hash-one')).toBe('written');
    expect(k.judge('KS-1', 'anything')).toBe('written');
    expect(k.judge('KS-2', 'hash-two')).toBe('unchanged');
    // An absent key needs no mark: it stays absent (its COPY then meets the row and the batch goes by key).
    k.markWritten('KS-9');
    expect(k.judge('KS-9', 'x')).toBe('absent');
  });

  it('keeps every entry when it grows, and never calls unchanged on a hash that differs anywhere', () => {
    // Content hashes that are not SHA-256 digests are compared whole.
    const entries = Array.from({ length: 50_000 }, (_, i) => [`KS-${i}`, `h${i}-${'x'.repeat(50)}`] as const);
    const k = KnownRecords.of(entries);
    expect(k.size).toBe(50_000);
    for (let i = 0; i < 50_000; i += 7) {
      expect(k.judge(`KS-${i}`, `h${i}-${'x'.repeat(50)}`)).toBe('unchanged');
      expect(k.judge(`KS-${i}`, `h${i}-${'x'.repeat(49)}y`)).toBe('changed');
    }
    expect(k.judge('KS-50000', 'h')).toBe('absent');
  });

  it('compares SHA-256 digests (what content hashes are) on their first 64 bits, and other strings whole', () => {
    const digest = (s: string) => createHash('sha256').update(s).digest('base64url');
    const entries = Array.from({ length: 20_000 }, (_, i) => [`KS-${i}`, digest(`record ${i}`)] as const);
    const k = KnownRecords.of(entries);
    for (let i = 0; i < 20_000; i += 3) {
      expect(k.judge(`KS-${i}`, digest(`record ${i}`))).toBe('unchanged');
      expect(k.judge(`KS-${i}`, digest(`record ${i} changed`))).toBe('changed');
    }
    // A digest differing from the stored one in its 11th character only (bits 61 to 66 of 256).
    const d = digest('record 0');
    const flipped = `${d.slice(0, 10)}${d[10] === 'A' ? 'B' : 'A'}${d.slice(11)}`;
    expect(k.judge('KS-0', flipped)).toBe('changed');
    // Not base64url, or not 43 characters: hashed whole, so a difference at the very end counts.
    expect(KnownRecords.of([['KS-1', `${'a'.repeat(42)}!`]]).judge('KS-1', `${'a'.repeat(42)}?`)).toBe('changed');
    expect(KnownRecords.of([['KS-1', 'a'.repeat(44)]]).judge('KS-1', `${'a'.repeat(43)}b`)).toBe('changed');
  });

  it('hashes keys with characters outside the BMP the same way as their UTF-8 bytes', () => {
    const k = KnownRecords.of([['KS-😀-1', 'h']]);
    expect(k.judge('KS-😀-1', 'h')).toBe('unchanged');
    expect(k.judge('KS-😀-2', 'h')).toBe('absent');
  });

  it('recognises a stored record by its content hash alone, until this sync writes its key', () => {
    const digest = (s: string) => createHash('sha256').update(s).digest('base64url');
    const entries = Array.from({ length: 30_000 }, (_, i) => [`KS-${i}`, digest(`record ${i}`)] as const);
    const k = KnownRecords.of(entries);
    const tokens = new Set<number>();
    for (let i = 0; i < 30_000; i += 5) {
      const token = k.storedSlot(digest(`record ${i}`));
      expect(token).toBeGreaterThanOrEqual(0);
      expect(k.stillStored(token)).toBe(true);
      tokens.add(token);
      expect(k.storedSlot(digest(`record ${i} changed`))).toBe(-1);
    }
    expect(tokens.size).toBe(6_000); // one entry each
    // Other content hashes (not digests) are recognised too, on 64 bits of their hash.
    expect(known().storedSlot('hash-two')).toBeGreaterThanOrEqual(0);
    expect(known().storedSlot('hash-four')).toBe(-1);

    // Once the key is written, its token no longer stands (stillStored is what a sync asks, in order).
    const token = k.storedSlot(digest('record 10'));
    k.markWritten('KS-10');
    expect(k.stillStored(token)).toBe(false);
    expect(k.stillStored(k.storedSlot(digest('record 10')))).toBe(false);
    expect(k.judge('KS-10', digest('record 10'))).toBe('written');
    // A key written before the index was first asked for is not in it.
    const fresh = KnownRecords.of(entries);
    fresh.markWritten('KS-11');
    expect(fresh.storedSlot(digest('record 11'))).toBe(-1);
    expect(fresh.storedSlot(digest('record 12'))).toBeGreaterThanOrEqual(0);
  });
});
