/**
 * Small deterministic randomness for synthetic data: sfc32 (fast, 128-bit state, passes PractRand far
 * beyond what we draw), seeded through a murmur3-style mixer so that `(seed, index)` pairs that differ in one
 * bit give unrelated streams. No dependency, identical output on every platform.
 */

/** Mixes a 32-bit value (murmur3 finaliser): a bijection on uint32 with good avalanche. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Hashes two numbers (a 32-bit seed and a non-negative safe integer, e.g. an index) into 32 bits. */
export function hash32(seed: number, value: number): number {
  const high = Math.floor(value / 0x1_0000_0000);
  let h = mix32(((seed >>> 0) ^ 0x9e3779b9) >>> 0);
  h = mix32((h ^ mix32(value >>> 0)) + 0x7f4a7c15);
  if (high !== 0) h = mix32((h ^ mix32(high >>> 0)) + 0x2545f491);
  return h;
}

/** A precomputed table for weighted picks: O(log n) per pick by binary search over cumulative weights. */
export class WeightedTable<T> {
  readonly items: readonly T[];
  readonly total: number;
  private readonly cumulative: Float64Array;

  constructor(items: readonly T[], weights: readonly number[]) {
    if (items.length === 0 || items.length !== weights.length) {
      throw new RangeError('WeightedTable needs as many weights as items, and at least one item');
    }
    this.items = items;
    this.cumulative = new Float64Array(items.length);
    let sum = 0;
    weights.forEach((w, i) => {
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`Weight ${i} is not a finite non-negative number`);
      sum += w;
      this.cumulative[i] = sum;
    });
    if (sum <= 0) throw new RangeError('WeightedTable weights sum to zero');
    this.total = sum;
  }

  /** The item whose cumulative interval contains `u * total`, for `u` in [0, 1). */
  at(u: number): T {
    const target = u * this.total;
    const c = this.cumulative;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo]!;
  }
}

/** Builds a {@link WeightedTable} from entries with a weight. */
export function weightedTable<T>(entries: ReadonlyArray<{ item: T; weight: number }>): WeightedTable<T> {
  return new WeightedTable(
    entries.map((e) => e.item),
    entries.map((e) => e.weight),
  );
}

/** A seeded sfc32 stream. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seeds the state from one 32-bit seed (splitmix-style expansion). */
  constructor(seed: number) {
    const s = seed >>> 0;
    this.a = mix32((s + 0x9e3779b9) >>> 0);
    this.b = mix32((s + 0x3c6ef372) >>> 0);
    this.c = mix32((s + 0xdaa66d2b) >>> 0);
    this.d = 1;
    for (let i = 0; i < 8; i++) this.uint32();
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.uint32() / 0x1_0000_0000;
  }

  /** A uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A uniformly chosen element; throws on an empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** An element chosen by weight from a precomputed table. */
  weightedPick<T>(table: WeightedTable<T>): T {
    return table.at(this.next());
  }
}

/**
 * The stream for item `index` under `seed`: independent of every other index, so item i can be generated
 * alone, in any order, on any machine. `index` may be any non-negative safe integer.
 */
export function forkRandom(seed: number, index: number): Random {
  return new Random(hash32(seed, index));
}

/**
 * A keyed bijection on [0, size): an invertible mix on the enclosing power of two (odd multiply, xor-shift,
 * add key — each a bijection mod 2^bits), restricted to the range by cycle walking. Used to hand out
 * unique-but-random-looking ids without remembering which were used. `size` must be ≤ 2^31.
 */
export function createPermutation(size: number, key: number): (i: number) => number {
  if (!Number.isInteger(size) || size < 1 || size > 0x8000_0000) throw new RangeError('size must be 1..2^31');
  let bits = 1;
  while (2 ** bits < size) bits++;
  const mask = bits >= 31 ? 0x7fff_ffff : (1 << bits) - 1;
  const shift = Math.max(1, bits >>> 1);
  const k1 = mix32(key) & mask;
  const k2 = mix32(key ^ 0x5bd1e995) & mask;
  const k3 = mix32(key ^ 0x1b873593) & mask;
  const round = (x: number, k: number): number => {
    x = Math.imul(x, 0x2c1b3c6d | 1) & mask;
    x ^= x >>> shift;
    return (x + k) & mask;
  };
  return (i: number): number => {
    if (!(i >= 0 && i < size)) throw new RangeError(`permutation input ${i} outside [0, ${size})`);
    let x = i;
    do {
      x = round(round(round(x, k1), k2), k3);
    } while (x >= size);
    return x;
  };
}
