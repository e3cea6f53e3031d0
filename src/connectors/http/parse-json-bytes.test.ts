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

  it('decodes invalid UTF-8 as the whole-body decode does', async () => {
    const text = JSON.stringify({ data: records });
    const body = Buffer.from(text, 'utf8');
    const at = body.indexOf('Nguy');
    body[at] = 0xc3; // a lead byte followed by ASCII
    expect(await parseJsonBytes(body)).toStrictEqual(JSON.parse(body.toString('utf8')));
  });
});
