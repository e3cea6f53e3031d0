import { describe, expect, it } from 'vitest';
import { CopyEncoder, copyBool, copyJsonText, copyText, decodeCopyFields } from './copy-text.js';

describe('COPY text encoding', () => {
  it('decodes what it encodes: nulls, the four escapes, backslashes in JSON, Vietnamese text', () => {
    const values = ['Nguyễn Thị Thu Hà', 'tab\there', 'line\nbreak\r\nend', 'back\\slash', '\\N', '', null, 'Ðặng'];
    const row = values.map((v) => copyText(v)).join('\t');
    expect(decodeCopyFields(row)).toEqual(values);
    const json = JSON.stringify({ note: 'say "hi"\n', path: 'C:\\x', nul: '\u0000' });
    expect(decodeCopyFields(`${copyJsonText(json)}\t${copyBool(true)}`)).toEqual([json, 't']);
    expect(JSON.parse(decodeCopyFields(copyJsonText(json))[0]!)).toEqual({ note: 'say "hi"\n', path: 'C:\\x', nul: '\u0000' });
  });

  it('writes JSON bytes as sent: as they are, or escaped where they hold what COPY reads', () => {
    const enc = new CopyEncoder();
    const texts = [
      JSON.stringify({ ho_ten: 'Nguyễn Thị Ánh', lop: '1A', khuyet_tat: false }),
      '{\n\t"ho_ten" : "Nguy\\u1ec5n \\"B\\u00e9\\"",\r\n\t"duong_dan": "C:\\\\x"\n}',
      '{"a":"\\\\"}',
    ];
    for (const text of texts) {
      enc.start();
      enc.put('id\t');
      enc.putJson(Buffer.from(text, 'utf8'));
      enc.put('\tend');
      const fields = decodeCopyFields(enc.finish());
      expect(fields).toEqual(['id', text, 'end']);
    }
    expect(JSON.parse(texts[1]!)).toEqual({ ho_ten: 'Nguyễn "Bé"', duong_dan: 'C:\\x' });
  });

  it('writes rows into shared slabs, each row a view of its bytes, across slab boundaries and for rows larger than a slab', () => {
    const enc = new CopyEncoder();
    const rows: Array<{ text: string; bytes: Buffer }> = [];
    for (let i = 0; i < 5000; i++) {
      // Rows of 300–1,300 characters (some three bytes each): 1 MB slabs fill up many times over.
      const text = `${i}\t${'Hà Nội '.repeat(40 + (i % 150))}`;
      enc.start();
      enc.put(`${i}\t`);
      enc.put(text.slice(String(i).length + 1));
      rows.push({ text, bytes: enc.finish() });
    }
    const huge = 'ư'.repeat(700_000); // 2.1 MB of UTF-8: bigger than a slab
    enc.start();
    enc.put(huge);
    rows.push({ text: huge, bytes: enc.finish() });
    for (const r of rows) expect(r.bytes.toString('utf8')).toBe(r.text);
  });
});
