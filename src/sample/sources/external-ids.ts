import { createPermutation } from '../random.js';

const permutations = new Map<string, (i: number) => number>();

/**
 * A fixed-width, random-looking, unique decimal id for `value` (0 ≤ value < size) in a namespace: the same
 * (namespace, value) always gives the same id, and two values never share one. Ids depend on the child's
 * index, not the seed, so one database should hold one synthetic population.
 */
export function scrambledId(namespace: string, value: number, size = 1_000_000_000): string {
  const key = `${namespace}/${size}`;
  let permute = permutations.get(key);
  if (!permute) {
    let h = 0x811c9dc5;
    for (let i = 0; i < namespace.length; i++) h = Math.imul(h ^ namespace.charCodeAt(i), 0x01000193);
    permute = createPermutation(size, h >>> 0);
    permutations.set(key, permute);
  }
  return String(permute(value % size)).padStart(String(size - 1).length, '0');
}
