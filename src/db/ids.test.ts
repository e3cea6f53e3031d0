import { describe, expect, it } from 'vitest';
import { isIdOf, newId, randomUlidBody, ulid } from './ids.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The ULID's 128 bits as a bigint (time then random), to compare and count. */
const value = (id: string) => [...id].reduce((n, c) => n * 32n + BigInt(ALPHABET.indexOf(c)), 0n);

describe('ulid', () => {
  it('makes valid, unique ids that increase by one within a millisecond and sort across milliseconds', () => {
    const ids = Array.from({ length: 200_000 }, () => ulid());
    expect(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const outOfOrder = ids.filter((id, i) => i > 0 && !(id > ids[i - 1]!));
    const gaps = ids.filter((id, i) => i > 0 && id.slice(0, 10) === ids[i - 1]!.slice(0, 10) && value(id) - value(ids[i - 1]!) !== 1n);
    expect(outOfOrder).toEqual([]);
    expect(gaps).toEqual([]);
    expect(isIdOf('sourceRecord', newId('sourceRecord'))).toBe(true);
  });

  it("makes a child's id random: valid, unique, in no order and with no time of its making", () => {
    const ids = Array.from({ length: 20_000 }, () => newId('child'));
    expect(ids.every((id) => isIdOf('child', id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // Made in one go: ULIDs would share their first characters (the time) and ascend; random ids do neither.
    const ascending = ids.filter((id, i) => i > 0 && id > ids[i - 1]!).length;
    expect(ascending / (ids.length - 1)).toBeGreaterThan(0.45);
    expect(ascending / (ids.length - 1)).toBeLessThan(0.55);
    expect(new Set(ids.map((id) => id.slice(4, 6))).size).toBeGreaterThan(200);
    // Every one of the 128 bits varies: the first character takes 0–7, the others the whole alphabet.
    const bodies = Array.from({ length: 5_000 }, () => randomUlidBody());
    expect(new Set(bodies.map((b) => b[0])).size).toBe(8);
    expect(new Set(bodies.map((b) => b[25])).size).toBe(32);
  });

  it('encodes the time in the first ten characters', () => {
    // Ids are monotonic within a process: the time must be later than any id made before (a fixed date
    // stops being one once the clock passes it).
    const t = Date.now() + 10_000_000;
    const id = ulid(t);
    expect(Number(value(id) >> 80n)).toBe(t);
  });

  it('carries into the high random bits when the low ones run out within a millisecond', () => {
    const t = Date.now() + 20_000_000;
    const first = ulid(t);
    // The low 25 bits are the last five characters: count up past their end.
    const steps = 2 ** 25 - Number(value(first) & 0x1ffffffn) + 2;
    let last = first;
    for (let i = 0; i < steps; i++) last = ulid(t);
    expect(value(last) - value(first)).toBe(BigInt(steps));
    expect(last.slice(0, 10)).toBe(first.slice(0, 10));
    expect(last.slice(10, 21)).not.toBe(first.slice(10, 21));
  });
});
