import { describe, expect, it } from 'vitest';
import { DocumentEnd } from './part-bounds.js';

/** Whether `xml`, streamed in chunks of `size` bytes, ends its document. */
function ends(xml: string, size = 7): boolean {
  const end = new DocumentEnd();
  const bytes = Buffer.from(xml, 'utf8');
  for (let at = 0; at < bytes.length; at += size) end.push(bytes.subarray(at, at + size));
  return end.ended();
}

describe('a workbook part\'s end', () => {
  it('is its root element closed, after a declaration, a BOM or comments, whatever its prefix', () => {
    expect(ends('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="x"><sheetData><row r="1"/></sheetData></worksheet>')).toBe(true);
    expect(ends('\uFEFF<!-- made by hand --><x:sst count="2"><x:si><x:t>Hà</x:t></x:si></x:sst>\r\n')).toBe(true);
    expect(ends('<sst count="0" uniqueCount="0"/>')).toBe(true);
    expect(ends('<worksheet a="1>2"><sheetData/></worksheet >  <!-- end -->  ', 1)).toBe(true);
    // Of any length after it (QA re-check: 600 spaces were refused).
    expect(ends(`<worksheet></worksheet>${' '.repeat(600)}`)).toBe(true);
    expect(ends(`<worksheet></worksheet>\n<!-- ${'- > x '.repeat(200)} --><?pi ? > ?>\n`, 4096)).toBe(true);
  });

  it('is not a part cut after an element, mid-tag or before its root, nor a root closed by another name', () => {
    expect(ends('<?xml version="1.0"?><worksheet><sheetData><row r="1"></row>')).toBe(false);
    expect(ends('<worksheet><sheetData><row r="1"></row></sheetData></works')).toBe(false);
    expect(ends('<?xml version="1.0"?>')).toBe(false);
    expect(ends('<worksheet><sst></sst>')).toBe(false);
    // An end tag in a comment, or text after the end tag, is no end.
    expect(ends('<worksheet><sheetData><row r="1"></row><!-- </worksheet> -->')).toBe(false);
    expect(ends('<worksheet></worksheet><row/>')).toBe(false);
    expect(ends('<worksheet></worksheet><!-- never closed')).toBe(false);
    expect(ends('<worksheet></worksheetX>')).toBe(false);
    expect(ends('')).toBe(false);
  });
});
