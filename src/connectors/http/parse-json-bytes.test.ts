import { describe, expect, it } from 'vitest';
import { SPLIT_FROM_BYTES, parseJsonBytes } from './parse-json-bytes.js';

/** Pads a document past the size where it is split, with a member that changes nothing else. */
function big(json: string): string {
  const pad = `"_pad":"${'x'.repeat(SPLIT_FROM_BYTES)}"`;
  return json.startsWith('{') ? (json.trim() === '{}' ? `{${pad}}` : `{${pad},${json.trim().slice(1)}`) : json;
}

async function same(text: string): Promise<void> {
  const body = Buffer.from(text, 'utf8');
  const expected = JSON.parse(text) as unknown;
  const got = await parseJsonBytes(body);
  expect(got).toStrictEqual(expected);
  expect(JSON.stringify(got)).toBe(JSON.stringify(expected));
}

const records = Array.from({ length: 400 }, (_, i) => ({
  ma_dinh_danh_hoc_sinh: `01${String(i).padStart(8, '0')}`,
  ho_ten: i % 2 ? 'Nguyễn Thị Ánh "Bé" \\ 😀' : 'Trần {Văn} [Bình], : }',
  lop: i % 5 ? `${i % 12}A` : null,
  khuyet_tat: { co: i % 7 === 0, dang: ['vận động', 'nghe'] },
  diem: [1.5, -2e-3, 0, true, false, null],
}));

describe('parseJsonBytes', () => {
  it('parses a page of records exactly as JSON.parse does', async () => {
    await same(JSON.stringify({ data: records, next_cursor: 'eyJ2IjoxfQ' }));
    await same(JSON.stringify({ resourceType: 'Bundle', link: [{ relation: 'next', url: 'http://x/?a=1' }], entry: records.map((resource) => ({ resource })) }));
    await same(JSON.stringify(records));
    await same(JSON.stringify(records, null, 2));
    await same(`\r\n\t ${JSON.stringify({ data: records })} \n`);
  });

  it('keeps JSON.parse semantics for keys: order, duplicates, __proto__', async () => {
    await same(big('{"b":1,"a":[1,2],"b":[3],"2":"two","1":"one","__proto__":{"polluted":true},"\\u0061\\"q":"esc"}'));
    const parsed = (await parseJsonBytes(Buffer.from(big('{"__proto__":[1]}')))) as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('parses empty containers and scalars as members', async () => {
    await same(big('{"a":[],"b":{},"c":"","d":0,"e":-1.5e10,"f":true,"g":null,"h":[ ],"i":[[]],"j":[{}, {"k":[]}]}'));
    await same(big('{}'));
    await same(`[${'1,'.repeat(SPLIT_FROM_BYTES / 2)}2]`);
  });

  it('skips a byte-order mark', async () => {
    const text = JSON.stringify({ data: records });
    expect(await parseJsonBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))).toStrictEqual(JSON.parse(text));
    expect(await parseJsonBytes(Buffer.from('\ufeff{"small":true}'))).toStrictEqual({ small: true });
  });

  it('refuses what JSON.parse refuses, small or large', async () => {
    const page = JSON.stringify({ data: records });
    const broken = [
      '',
      '   ',
      page.slice(0, -1),
      page.slice(0, -2),
      `${page}x`,
      `${page}{}`,
      page.replace('"data":', '"data"'),
      page.replace('},{', '}{'),
      page.replace('},{', '},,{'),
      page.replace('},{', '}],{'),
      page.replace('[{', '[{,'),
      page.replace('"lop":null', '"lop":nul'),
      page.replace('"lop":null', '"lop":01'),
      page.replace('"lop":null', "'lop':null"),
      `{"data":${JSON.stringify(records)},}`,
      `[${JSON.stringify(records).slice(1, -1)},]`,
      `{"a":1 "b":${JSON.stringify(records)}}`,
      `{"a":"${'x'.repeat(SPLIT_FROM_BYTES)}`,
      `{"a":"${'x'.repeat(SPLIT_FROM_BYTES)}\\"}`,
      `{"a":[${JSON.stringify(records)}}`,
      `{"a":{${JSON.stringify(records)}]}`,
      `{"a":"\u0001${'x'.repeat(SPLIT_FROM_BYTES)}"}`,
      `{a:${JSON.stringify(records)}}`,
      `{"a":${JSON.stringify(records)}\u00a0}`,
    ];
    for (const text of broken) {
      expect(() => JSON.parse(text), text.slice(0, 40)).toThrow();
      await expect(parseJsonBytes(Buffer.from(text, 'utf8')), text.slice(0, 40)).rejects.toThrow(SyntaxError);
    }
  });

  it('maps each record of the outer level to its bytes as sent, on small and large pages', async () => {
    const pages = [
      JSON.stringify({ data: records.slice(0, 3), next_cursor: 'c' }), // under the split size
      JSON.stringify({ data: records, next_cursor: 'c' }),
      JSON.stringify(records, null, 2),
      `{ "meta" : { "n" : 2 } , "data" : [ ${records.slice(0, 2).map((r) => JSON.stringify(r, null, '\t')).join(' ,\n ')} ] }`,
    ];
    for (const text of pages) {
      const sources = new WeakMap<object, Buffer>();
      const parsed = (await parseJsonBytes(Buffer.from(text, 'utf8'), sources)) as Record<string, unknown> | unknown[];
      const list = (Array.isArray(parsed) ? parsed : parsed.data) as Array<Record<string, unknown>>;
      expect(list.length).toBeGreaterThan(0);
      for (const record of list) {
        const bytes = sources.get(record)!;
        expect(JSON.parse(bytes.toString('utf8'))).toStrictEqual(record);
        expect(text).toContain(bytes.toString('utf8'));
        // Only the records themselves, not what is inside them.
        expect(sources.has(record.khuyet_tat as object)).toBe(false);
      }
      if (!Array.isArray(parsed) && parsed.meta) expect(sources.has(parsed.meta as object)).toBe(false);
    }
    // Elements that are not objects have no bytes to keep; they parse as before.
    const mixed = new WeakMap<object, Buffer>();
    expect(await parseJsonBytes(Buffer.from('{"data":[1,"x",[2],null,{"a":1}]}'), mixed)).toStrictEqual({ data: [1, 'x', [2], null, { a: 1 }] });
  });

  it('keeps no bytes for a record that is not valid UTF-8 (its data holds replacement characters)', async () => {
    const text = JSON.stringify({ data: records.slice(0, 2) });
    const body = Buffer.from(text, 'utf8');
    body[body.indexOf('Trần')] = 0xc3;
    const sources = new WeakMap<object, Buffer>();
    const parsed = (await parseJsonBytes(body, sources)) as { data: object[] };
    expect(parsed).toStrictEqual(JSON.parse(body.toString('utf8')));
    expect(sources.has(parsed.data[0]!)).toBe(false);
    expect(sources.has(parsed.data[1]!)).toBe(true);
  });

  it('decodes invalid UTF-8 as the whole-body decode does', async () => {
    const text = JSON.stringify({ data: records });
    const body = Buffer.from(text, 'utf8');
    const at = body.indexOf('Nguy');
    body[at] = 0xc3; // a lead byte followed by ASCII
    expect(await parseJsonBytes(body)).toStrictEqual(JSON.parse(body.toString('utf8')));
  });
});
