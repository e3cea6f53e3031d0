import type { z } from 'zod';

/** A zod schema's definition, as far as finding the keys an object takes at a path needs. */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  options?: readonly z.ZodType[];
  in?: z.ZodType;
  out?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
  getter?: () => z.ZodType;
  valueType?: z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schemas `schema` may be once wrappers (optional, default, pipe, lazy…) are looked through and unions split. */
function variants(schema: z.ZodType, depth = 0): z.ZodType[] {
  if (depth > 20) return [];
  const d = defOf(schema);
  switch (d.type) {
    case 'optional': case 'nullable': case 'default': case 'prefault': case 'readonly': case 'catch': case 'nonoptional':
      return d.innerType ? variants(d.innerType, depth + 1) : [];
    case 'pipe':
      return [...(d.in ? variants(d.in, depth + 1) : []), ...(d.out ? variants(d.out, depth + 1) : [])];
    case 'lazy':
      return d.getter ? variants(d.getter(), depth + 1) : [];
    case 'union':
      return (d.options ?? []).flatMap((o) => variants(o, depth + 1));
    case 'intersection':
      return [...(d.left ? variants(d.left, depth + 1) : []), ...(d.right ? variants(d.right, depth + 1) : [])];
    default:
      return [schema];
  }
}

/** The keys an object of `schema` takes at `path` (every variant's, for a union); empty when the path leads to none. */
export function keysAt(schema: z.ZodType, path: ReadonlyArray<string | number>): string[] {
  let at = variants(schema);
  for (const step of path) {
    const next: z.ZodType[] = [];
    for (const s of at) {
      const d = defOf(s);
      if (d.type === 'object' && typeof step === 'string' && d.shape?.[step]) next.push(...variants(d.shape[step]));
      else if (d.type === 'array' && typeof step === 'number' && d.element) next.push(...variants(d.element));
      else if (d.type === 'record' && d.valueType) next.push(...variants(d.valueType));
    }
    at = next;
  }
  const keys = new Set<string>();
  for (const s of at) {
    const d = defOf(s);
    if (d.type === 'object') for (const k of Object.keys(d.shape ?? {})) keys.add(k);
  }
  return [...keys];
}

/** Edits (insert, delete, replace, swap two neighbours) from `a` to `b`, case aside. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => [i, ...Array<number>(y.length).fill(0)]);
  for (let j = 1; j <= y.length; j++) d[0]![j] = j;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[x.length]![y.length]!;
}

/**
 * The known key a misspelt one most likely meant: the nearest of `known` within two edits (one for keys of four
 * letters or fewer), letter case aside; none when two are as near, or none is near enough.
 */
export function nearestKey(key: string, known: readonly string[]): string | null {
  const limit = key.length <= 4 ? 1 : 2;
  let best: string | null = null;
  let bestDistance = Infinity;
  let tie = false;
  for (const k of known) {
    if (k === key) continue;
    const dist = distance(key, k);
    if (dist < bestDistance) {
      best = k;
      bestDistance = dist;
      tie = false;
    } else if (dist === bestDistance) tie = true;
  }
  return best !== null && bestDistance <= limit && !tie ? best : null;
}
