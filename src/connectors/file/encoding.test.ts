import { describe, expect, it } from 'vitest';
import { detectEncoding, findInvalidUtf8, StreamDecoder } from './encoding.js';
import { FileEncodingError } from './errors/file-encoding.error.js';

const utf16le = (s: string) => Buffer.from(s, 'utf16le');
const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16();
/** "Họ và tên,Ngày sinh" in Windows-1258 (ọ = o + combining dot below 0xF2; à = 0xE0; ê = 0xEA). */
export const WINDOWS_1258_HEADER = Buffer.from([
  0x48, 0x6f, 0xf2, 0x20, 0x76, 0xe0, 0x20, 0x74, 0xea, 0x6e, 0x2c, 0x4e, 0x67, 0xe0, 0x79, 0x20, 0x73, 0x69, 0x6e, 0x68,
]);

function decodeAll(bytes: Buffer, encoding: 'utf-8' | 'utf-16le' | 'utf-16be', pieces = 3): string {
  const d = new StreamDecoder(encoding, 'f.csv', true);
  let text = '';
  for (let i = 0; i < bytes.length; i += pieces) text += d.decode(bytes.subarray(i, i + pieces));
  return text + d.end();
}

/** The checking pass: the same verdicts as decoding, without building text. */
function checkAll(bytes: Buffer, encoding: 'utf-8' | 'utf-16le' | 'utf-16be', pieces = 3): void {
  const d = new StreamDecoder(encoding, 'f.csv', true);
  for (let i = 0; i < bytes.length; i += pieces) d.check(bytes.subarray(i, i + pieces));
  d.checkEnd();
}

function failure(f: () => unknown): FileEncodingError {
  try {
    f();
  } catch (error) {
    if (error instanceof FileEncodingError) return error;
    throw error;
  }
  throw new Error('expected a FileEncodingError');
}

describe('detectEncoding', () => {
  it('knows UTF-8 with and without BOM and UTF-16 LE/BE by their BOM', () => {
    expect(detectEncoding(Buffer.from('\uFEFFHọ', 'utf8'), 'auto', 'f')).toEqual({ encoding: 'utf-8', bom: true });
    expect(detectEncoding(Buffer.from('Họ và tên', 'utf8'), 'auto', 'f')).toEqual({ encoding: 'utf-8', bom: false });
    expect(detectEncoding(utf16le('\uFEFFHọ'), 'auto', 'f')).toEqual({ encoding: 'utf-16le', bom: true });
    expect(detectEncoding(utf16be('\uFEFFHọ'), 'auto', 'f')).toEqual({ encoding: 'utf-16be', bom: true });
  });

  it('recognises UTF-16 without a BOM when every other byte is zero', () => {
    expect(detectEncoding(utf16le('ma_dinh_danh,Họ và tên\r\n'), 'auto', 'f').encoding).toBe('utf-16le');
    expect(detectEncoding(utf16be('ma_dinh_danh,Họ và tên\r\n'), 'auto', 'f').encoding).toBe('utf-16be');
  });

  it('refuses UTF-32 and a BOM that contradicts the configured encoding', () => {
    expect(failure(() => detectEncoding(Buffer.from([0xff, 0xfe, 0, 0, 0x41, 0, 0, 0]), 'auto', 'f.csv')).message).toMatch(/UTF-32/);
    const e = failure(() => detectEncoding(utf16le('\uFEFFa'), 'utf-8', 'f.csv'));
    expect(e.code).toBe('CONNECTOR_FILE_ENCODING');
    expect(e.message).toMatch(/set to UTF-8 but the file starts with a UTF-16 LE byte-order mark/);
  });

  it('uses the configured encoding otherwise', () => {
    expect(detectEncoding(Buffer.from('abc'), 'utf-16be', 'f')).toEqual({ encoding: 'utf-16be', bom: false });
    expect(detectEncoding(utf16le('Mã sổ,Số TT\r\n'), 'utf-16le', 'f')).toEqual({ encoding: 'utf-16le', bom: false });
  });

  it('refuses a file set to UTF-16 that is not, instead of reading other characters (QA: its headers were said to be missing)', () => {
    const e = failure(() => detectEncoding(Buffer.from('Mã sổ,Số TT,Họ và tên\r\n', 'utf8'), 'utf-16le', 'f.csv'));
    expect(e.code).toBe('CONNECTOR_FILE_ENCODING');
    expect(e.message).toMatch(/^f\.csv: the connector is set to UTF-16 LE but the file is not UTF-16 LE: .*\(it looks like UTF-8 or an 8-bit encoding\)/);
    expect(failure(() => detectEncoding(utf16be('Mã sổ,Số TT\r\n'), 'utf-16le', 'f.csv')).message).toMatch(/it looks like UTF-16 BE/);
    // Mostly Vietnamese letters (few zero bytes): still told by where its zero bytes are.
    expect(failure(() => detectEncoding(utf16le('Họ tên,Ngày sinh,Giới tính,Số định danh cá nhân\r\n'), 'utf-16be', 'f.csv')).message).toMatch(/it looks like UTF-16 LE/);
  });
});

describe('StreamDecoder', () => {
  it('decodes sequences split across chunks and drops the BOM', () => {
    const text = 'Họ và tên,Ngày sinh\nNguyễn Thị Ánh,01/02/2015\n';
    expect(decodeAll(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'utf-8', 1)).toBe(text);
    expect(decodeAll(Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le(text)]), 'utf-16le', 3)).toBe(text);
    expect(decodeAll(Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]), 'utf-16be', 5)).toBe(text);
  });

  it('refuses Windows-1258 naming the byte, the line and the likely encoding', () => {
    const bytes = Buffer.concat([Buffer.from('ma,ten\n1,a\n'), WINDOWS_1258_HEADER, Buffer.from('\n')]);
    for (const [pieces, run] of [1, 4, 1000].flatMap((n) => [[n, decodeAll], [n, checkAll]] as const)) {
      const e = failure(() => run(bytes, 'utf-8', pieces));
      expect(e.code).toBe('CONNECTOR_FILE_ENCODING');
      // 11 bytes before the Windows-1258 text; the 0xF2 at index 2 of it.
      expect(e.message).toBe(
        'f.csv is not valid UTF-8 at byte 13 (line 3); it looks like a single-byte Vietnamese encoding ' +
          '(Windows-1258, TCVN3/ABC or VNI). Save it as UTF-8 (in Excel: "CSV UTF-8 (Comma delimited)") and drop it again; ' +
          'the file was not ingested.',
      );
      expect(e.details).toMatchObject({ byteOffset: 13, line: 3, looksLike: 'vietnamese-single-byte' });
    }
  });

  it('tells a UTF-8 file with one damaged stretch from a file in another encoding (QA)', () => {
    const bytes = Buffer.concat([Buffer.from('ma,ten\n1,Nguyễn Thị Lan\n2,Tr'), Buffer.from([0xe2]), Buffer.from('n Văn An\n')]);
    for (const [pieces, run] of [1, 3, 1000].flatMap((n) => [[n, decodeAll], [n, checkAll]] as const)) {
      const e = failure(() => run(bytes, 'utf-8', pieces));
      expect(e.message).toBe(
        'f.csv is not valid UTF-8 at byte 32 (line 3); it looks like a UTF-8 file with a damaged stretch (accented text before it is valid UTF-8): '
          + 'text pasted in from another encoding, or bytes changed. Correct that line (retype its accented text), or export the file again, and drop it again; '
          + 'the file was not ingested.',
      );
      expect(e.details).toMatchObject({ looksLike: 'damaged-utf-8' });
    }
  });

  it('tells a UTF-8 header over a body in a legacy encoding as that encoding, not as a damaged stretch (QA re-check)', () => {
    const line = Buffer.concat([Buffer.from('2,'), WINDOWS_1258_HEADER, Buffer.from('\n')]);
    const bytes = Buffer.concat([Buffer.from('Mã,Họ và tên\n'), line, line, line]);
    for (const run of [decodeAll, checkAll]) {
      const e = failure(() => run(bytes, 'utf-8', 1000));
      expect(e.details).toMatchObject({ looksLike: 'vietnamese-single-byte' });
    }
  });

  it('tells a Latin-1 file from a Vietnamese one', () => {
    const e = failure(() => checkAll(Buffer.from('Name,Straße\nMüller,Café\n', 'latin1'), 'utf-8'));
    expect(e.message).toMatch(/at byte 9 \(line 1\); it looks like a single-byte Western encoding \(Windows-1252\/Latin-1\)/);
  });

  it('refuses a sequence cut off by the end of the file', () => {
    for (const run of [decodeAll, checkAll]) {
      for (const pieces of [1, 2, 10]) {
        expect(failure(() => run(Buffer.from([0x61, 0x62, 0xe1, 0xbb]), 'utf-8', pieces)).details).toMatchObject({ byteOffset: 2 });
      }
    }
  });

  it('checks valid text split anywhere, including 4-byte sequences', () => {
    const text = Buffer.from('Nguyễn Thị Ánh 😀 đã đăng ký\r\n'.repeat(20));
    for (const pieces of [1, 2, 3, 5, 64]) expect(() => checkAll(text, 'utf-8', pieces)).not.toThrow();
    expect(failure(() => checkAll(Buffer.concat([text, Buffer.from([0xf0, 0x9f, 0x98])]), 'utf-8', 7)).details).toMatchObject({
      byteOffset: text.length,
      line: 21,
    });
  });

  it('refuses broken UTF-16', () => {
    const lone = Buffer.concat([utf16le('ab'), Buffer.from([0x00, 0xdc]), utf16le('c')]);
    expect(failure(() => decodeAll(lone, 'utf-16le', 1)).message).toMatch(/not valid UTF-16 LE at byte 4 \(a low surrogate without a high one\)/);
    const odd = Buffer.concat([utf16le('ab'), Buffer.from([0x41])]);
    expect(failure(() => decodeAll(odd, 'utf-16le')).message).toMatch(/at byte 4 \(an odd number of bytes\)/);
    expect(failure(() => checkAll(odd, 'utf-16le')).message).toMatch(/at byte 4 \(an odd number of bytes\)/);
  });
});

describe('findInvalidUtf8', () => {
  it('follows the WHATWG rules', () => {
    expect(findInvalidUtf8(Buffer.from('Nguyễn 😀'), 0, true)).toBe(-1);
    expect(findInvalidUtf8(Buffer.from([0xc0, 0x80]), 0, true)).toBe(0); // overlong
    expect(findInvalidUtf8(Buffer.from([0x41, 0xed, 0xa0, 0x80]), 0, true)).toBe(1); // surrogate
    expect(findInvalidUtf8(Buffer.from([0x41, 0xe1, 0xbb]), 0, false)).toBe(-1); // may continue
    expect(findInvalidUtf8(Buffer.from([0x41, 0xe1, 0xbb]), 0, true)).toBe(1);
  });
});
