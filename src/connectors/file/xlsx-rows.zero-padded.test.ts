/**
 * A whole number in a zero-padded format read as the text Excel shows (QA's mapping pass, khai-sinh-qx1.xlsx
 * row XA02): 1203004567 formatted `000000000000` is the identity number `001203004567`; read as the number, it
 * lost its leading zeros and became another child's.
 */
import { describe, expect, it } from 'vitest';
import { dataOf, rowsOf, workbookDir } from './testing/xlsx-workbooks.js';
import { zeroPaddedText } from './zero-padded-format.js';

const workbooks = workbookDir('childhub-xlsx-zero-');
const { written } = workbooks;

describe('a number in a zero-padded format', () => {
  it('is read as the text Excel shows, a formula\'s result too; other formats leave numbers numbers (QA XA02: 001203004567 read as 1203004567)', async () => {
    const file = await written('dem-so-0.xlsx', (ws) => {
      ws.addRow(['Mã hồ sơ', 'Số định danh', 'Mã xã', 'Số con']);
      ws.addRow(['KS-1', 1203004567, 4, 3]);
      ws.addRow(['KS-2', { formula: 'VALUE("1203004567")', result: 1203004567 }, { formula: '90+7', result: 97 }, { formula: '1+1', result: 2 }]);
      ws.addRow(['KS-3', 1203004567, 123456, 42]); // General, a wider number, format `0`
      ws.addRow(['KS-4', -5, 12.5, 1.5]); // negative, fractions: as they are
      ws.addRow(['KS-5', 1203004567, 97, '00042']); // quoted literal zeros; text in a padded column stays text
      for (const r of [2, 3]) {
        ws.getCell(`B${r}`).numFmt = '000000000000';
        ws.getCell(`C${r}`).numFmt = '00000';
        ws.getCell(`D${r}`).numFmt = '000';
      }
      ws.getCell('C4').numFmt = '00000';
      ws.getCell('D4').numFmt = '0';
      ws.getCell('B5').numFmt = '00000';
      ws.getCell('C5').numFmt = '00000';
      ws.getCell('D5').numFmt = '0.00';
      ws.getCell('B6').numFmt = '"00"0000000000';
      ws.getCell('C6').numFmt = '#,##0';
      ws.getCell('D6').numFmt = '00000';
    });
    expect(dataOf(await rowsOf(file))).toEqual([
      { 'Mã hồ sơ': 'KS-1', 'Số định danh': '001203004567', 'Mã xã': '00004', 'Số con': '003' },
      { 'Mã hồ sơ': 'KS-2', 'Số định danh': '001203004567', 'Mã xã': '00097', 'Số con': '002' },
      { 'Mã hồ sơ': 'KS-3', 'Số định danh': 1203004567, 'Mã xã': '123456', 'Số con': 42 },
      { 'Mã hồ sơ': 'KS-4', 'Số định danh': -5, 'Mã xã': 12.5, 'Số con': 1.5 },
      { 'Mã hồ sơ': 'KS-5', 'Số định danh': '001203004567', 'Mã xã': 97, 'Số con': '00042' },
    ]);
  });

  it('is padded as Excel pads it: placeholders filled from the right, literal digits kept, anything but 0s and digits left alone', () => {
    expect(zeroPaddedText(1203004567, '000000000000')).toBe('001203004567');
    expect(zeroPaddedText(0, '00000')).toBe('00000');
    expect(zeroPaddedText(123456, '00000')).toBe('123456');
    expect(zeroPaddedText(5, '\\0\\00')).toBe('005');
    expect(zeroPaddedText(12, '0"9"0')).toBe('192');
    expect(zeroPaddedText(1203004567, '"00"0000000000')).toBe('001203004567');
    for (const fmt of ['0', 'General', '0.00', '#,##0', '#00000', '00000;-00000', '[Red]00000', '0"-"000', '000 000', '', '@']) {
      expect([fmt, zeroPaddedText(97, fmt)]).toEqual([fmt, undefined]);
    }
    expect(zeroPaddedText(97, undefined)).toBeUndefined();
    expect(zeroPaddedText(-97, '00000')).toBeUndefined();
    expect(zeroPaddedText(9.7, '00000')).toBeUndefined();
    expect(zeroPaddedText(2 ** 53, '00000')).toBeUndefined();
  });
});
