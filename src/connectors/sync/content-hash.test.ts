import { describe, expect, it } from 'vitest';
import { contentHash } from './connector-sync.service.js';

const data = { ma_hs: 'HS1', ho_ten: 'Nguyễn Thị "Bé"', khoi: 1, khuyet_tat: { co: false, dang: [] }, lop: null };

describe('contentHash', () => {
  it('hashes a record\'s JSON as sent like its data as JSON when the source writes JSON as JSON.stringify does', () => {
    const json = Buffer.from(JSON.stringify(data), 'utf8');
    expect(contentHash('m1', { data, json })).toBe(contentHash('m1', { data }));
    expect(contentHash('m1', { data, json, recordType: 'hoc_sinh' })).toBe(contentHash('m1', { data, recordType: 'hoc_sinh' }));
    // The mapping and the record type are part of it.
    expect(contentHash('m2', { data, json })).not.toBe(contentHash('m1', { data, json }));
  });

  it('hashes what a source sent: the same data written another way is another hash, the same bytes the same', () => {
    const pretty = Buffer.from(JSON.stringify(data, null, 2), 'utf8');
    const escaped = Buffer.from(JSON.stringify(data).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), 'utf8');
    expect(JSON.parse(escaped.toString())).toEqual(data);
    const hashes = new Set([contentHash('m1', { data }), contentHash('m1', { data, json: pretty }), contentHash('m1', { data, json: escaped })]);
    expect(hashes.size).toBe(3);
    expect(contentHash('m1', { data, json: Buffer.from(pretty) })).toBe(contentHash('m1', { data, json: pretty }));
  });

  it('hashes a record larger than its reused buffer the same way', () => {
    const large = { ...data, ghi_chu: 'Hà Nội '.repeat(20_000) };
    const json = Buffer.from(JSON.stringify(large), 'utf8');
    expect(json.length).toBeGreaterThan(1 << 16);
    expect(contentHash('m1', { data: large, json })).toBe(contentHash('m1', { data: large }));
  });
});
