/**
 * `Buffer.from(JSON.stringify(value))` without the one string of the whole value: the members of a
 * top-level object or array are stringified one at a time (arrays among an object's members element by
 * element) and written into one buffer.
 *
 * A page of a thousand records is about a megabyte of JSON. As one string it is two megabytes of UTF-16 in
 * V8's large-object space (any Vietnamese letter makes it two-byte), mapped fresh from the system and
 * faulted in page by page, then flattened once more to count its UTF-8 bytes. The simulators serve
 * benchmarks on the machine that runs the sync; what they spend there is taken from the sync.
 *
 * The bytes are exactly `JSON.stringify(value)`'s: members whose value JSON leaves out (undefined,
 * functions, symbols) are left out, array holes and such elements are `null`, `toJSON` is honoured.
 */
export function jsonBytes(value: unknown): Buffer {
  const pieces: string[] = [];
  if (Array.isArray(value)) pushArray(pieces, value);
  else if (isPlainObject(value)) {
    pieces.push('{');
    let first = true;
    for (const key of Object.keys(value)) {
      const member = value[key];
      const text = Array.isArray(member) ? null : JSON.stringify(member);
      if (text === undefined) continue;
      pieces.push(`${first ? '' : ','}${JSON.stringify(key)}:`);
      first = false;
      if (text === null) pushArray(pieces, member as unknown[]);
      else pieces.push(text);
    }
    pieces.push('}');
  } else {
    return Buffer.from(JSON.stringify(value) ?? '', 'utf8');
  }
  let size = 0;
  for (const p of pieces) size += Buffer.byteLength(p, 'utf8');
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of pieces) at += out.write(p, at, 'utf8');
  return out;
}

function pushArray(pieces: string[], items: readonly unknown[]): void {
  if (typeof (items as { toJSON?: unknown }).toJSON === 'function') {
    pieces.push(JSON.stringify(items));
    return;
  }
  pieces.push('[');
  for (let i = 0; i < items.length; i++) {
    const text = JSON.stringify(items[i]) ?? 'null';
    pieces.push(i === 0 ? text : `,${text}`);
  }
  pieces.push(']');
}

/** An object JSON.stringify would walk member by member (no `toJSON` of its own, not a boxed primitive). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
