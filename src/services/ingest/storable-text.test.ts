import { describe, expect, it } from 'vitest';
import { isStorableText, jsonHasLoneSurrogate, storableJsonText } from './storable-text.js';

describe('storable text', () => {
  it('tells text PostgreSQL stores as it is from text with U+0000 or a lone surrogate', () => {
    expect(isStorableText('Nguyễn Văn An 😀')).toBe(true);
    expect(isStorableText('a\u0000b')).toBe(false);
    expect(isStorableText('a\ud800b')).toBe(false);
    expect(isStorableText('a\udc00')).toBe(false);
  });

  it('finds a lone surrogate in JSON text, not an escaped pair nor an escaped backslash before u', () => {
    expect(jsonHasLoneSurrogate(JSON.stringify({ a: 'x\ud800' }))).toBe(true);
    expect(jsonHasLoneSurrogate(JSON.stringify({ ['k\udfff']: 1 }))).toBe(true);
    expect(jsonHasLoneSurrogate('{"a":"\\ud83d\\ude00"}')).toBe(false);
    expect(jsonHasLoneSurrogate('{"a":"\\ud83d\\u0041"}')).toBe(true);
    expect(jsonHasLoneSurrogate(JSON.stringify({ a: '\\ud800 written as text' }))).toBe(false);
    expect(jsonHasLoneSurrogate(JSON.stringify({ a: '😀 and \u0000' }))).toBe(false);
  });

  it('writes out the escapes json cannot hold or read as text, leaving the rest as it was', () => {
    const json = JSON.stringify({ a: 'x\ud800', b: 'n\u0000', c: '\\u0000 as text', d: '😀' });
    const out = storableJsonText(json);
    expect(JSON.parse(out)).toEqual({ a: 'x\\ud800', b: 'n\\u0000', c: '\\u0000 as text', d: '😀' });
    expect(storableJsonText('{"a":"\\ud83d\\ude00"}')).toBe('{"a":"\\ud83d\\ude00"}');
  });
});
