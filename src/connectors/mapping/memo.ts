/**
 * A bounded memo for pure string functions over values that repeat (sex labels, yes/no words, name syllables,
 * status texts): a map lookup instead of Unicode normalisation per record. Cleared when full, so odd input
 * cannot grow it without limit.
 */
export function memoize<T>(fn: (s: string) => T, limit = 50_000): (s: string) => T {
  const cache = new Map<string, T>();
  return (s) => {
    let out = cache.get(s);
    if (out === undefined && !cache.has(s)) {
      out = fn(s);
      if (cache.size >= limit) cache.clear();
      cache.set(s, out);
    }
    return out as T;
  };
}
