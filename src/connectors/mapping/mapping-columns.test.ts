import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../config/config.js';
import { loadDefinitionFile } from '../definition/connector-catalog.js';
import { checkSheetColumns, columnsRead, headersWarning } from './mapping-columns.js';

const justice = loadDefinitionFile(path.join(PROJECT_ROOT, 'connectors', 'justice-register', 'connector.yaml')).definition;
const BIRTH_HEADERS = [
  'Mã hồ sơ', 'Số đăng ký', 'Quyển số', 'Ngày đăng ký', 'Nơi đăng ký', 'Mã xã nơi đăng ký', 'Họ và tên', 'Giới tính', 'Ngày sinh',
  'Nơi sinh', 'Dân tộc', 'Quốc tịch', 'Số định danh cá nhân', 'Họ tên cha', 'Họ tên mẹ', 'Người đi khai sinh',
  'Quan hệ với người được khai sinh', 'Ghi chú',
];

describe('mapping columns against a sheet\'s headers', () => {
  it('reads the columns of from, join and firstOf, tests and nested values, not literals', () => {
    const cols = columnsRead({
      fields: { fullName: { join: ['Họ', { from: 'Tên' }] }, carerName: { firstOf: ['Mẹ', 'Cha'], when: { from: 'Ghi chú', contains: 'Trẻ bị bỏ rơi' } } },
      groups: [{ clause: { from: 'Hoàn cảnh', map: { 'Trẻ bị bỏ rơi': 'b' } } }],
      projections: { vaccination: [{ each: 'tiem', fields: { vaccineCode: { from: 'ma' }, childName: { from: '$.Họ tên' } } }] },
    });
    expect([...cols].sort()).toEqual(['Cha', 'Ghi chú', 'Hoàn cảnh', 'Họ', 'Họ tên', 'Mẹ', 'Tên'].sort());
  });

  it('a birth register with every column: the birth mapping applies and nothing is missing (the adoption one does not apply)', () => {
    expect(checkSheetColumns(justice.records, 'child', BIRTH_HEADERS)).toEqual({ applicable: 1, missing: [], noneApplies: null });
  });

  it('a mapped column the file lacks is named: its field stays empty', () => {
    const check = checkSheetColumns(justice.records, 'child', BIRTH_HEADERS.filter((h) => h !== 'Giới tính'));
    expect(check).toEqual({ applicable: 1, missing: ['Giới tính'], noneApplies: null });
    expect(headersWarning(justice.records, { type: 'sheet-headers', fileName: 'a.csv', where: 'a.csv', recordType: 'child', columns: BIRTH_HEADERS.filter((h) => h !== 'Giới tính') }))
      .toBe('a.csv: the mapping reads column «Giới tính», which the file does not have: its field stays empty');
  });

  it('headers no mapping can take (another case) name the columns that would let one', () => {
    const upper = BIRTH_HEADERS.map((h) => h.toUpperCase());
    const check = checkSheetColumns(justice.records, 'child', upper);
    expect(check.applicable).toBe(0);
    expect(check.noneApplies).toEqual(['Họ và tên con nuôi', 'Họ và tên']);
    expect(headersWarning(justice.records, { type: 'sheet-headers', fileName: 'a.csv', where: 'a.csv', recordType: 'child', columns: upper }))
      .toMatch(/^a\.csv: no mapping takes its rows, which will all be rejected \(NO_MAPPING\): the mapping needs a column «Họ và tên con nuôi» or «Họ và tên»/);
  });

  it('a `when` testing for absence, or reading several columns, requires none of them', () => {
    const mappings = [
      { recordType: 'child' as const, when: { from: 'Ngày mất', present: false }, externalId: { from: 'Mã' }, fields: { fullName: { from: 'Họ tên' } } },
      { recordType: 'child' as const, when: { firstOf: ['A', 'B'], present: true }, externalId: { from: 'Mã' } },
    ] as unknown as Parameters<typeof checkSheetColumns>[0];
    expect(checkSheetColumns(mappings, 'child', ['Mã', 'Họ tên'])).toEqual({ applicable: 2, missing: [], noneApplies: null });
  });

  it('headers are compared trimmed and in NFC, as the file reader keys records', () => {
    const nfd = BIRTH_HEADERS.map((h) => ` ${h.normalize('NFD')} `);
    expect(checkSheetColumns(justice.records, 'child', nfd)).toEqual({ applicable: 1, missing: [], noneApplies: null });
  });
});
