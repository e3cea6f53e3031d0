import { describe, expect, it } from 'vitest';
import { withCellReferences, withoutNamespacePrefix } from './sheet-xml.js';

type Transform = (chunks: AsyncIterable<string>) => AsyncGenerator<string>;

/** The transform's output for `xml` cut into three chunks at every pair of places (empty chunks included). */
async function everyCut(transform: Transform, xml: string): Promise<Set<string>> {
  const outs = new Set<string>();
  for (let i = 0; i <= xml.length; i++) {
    for (const j of [i, Math.min(xml.length, i + 1), Math.min(xml.length, i + 4)]) {
      let out = '';
      for await (const t of transform((async function* () { yield* [xml.slice(0, i), xml.slice(i, j), xml.slice(j)]; })())) out += t;
      outs.add(out);
    }
  }
  return outs;
}

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';

describe('withoutNamespacePrefix', () => {
  it('removes the prefix bound to SpreadsheetML from every element, however the text is cut, and nothing else', async () => {
    const xml = `<?xml version="1.0"?><x:worksheet xmlns:x="${MAIN}" xmlns:r="urn:r"><x:sheetData><x:row><x:c t="s"><x:v>0</x:v></x:c>` +
      `<x:c t="inlineStr"><x:is><x:t>a &lt;x:b&gt; x:c</x:t></x:is></x:c></x:row></x:sheetData><r:ext/></x:worksheet>`;
    const want = `<?xml version="1.0"?><worksheet xmlns:x="${MAIN}" xmlns:r="urn:r"><sheetData><row><c t="s"><v>0</v></c>` +
      `<c t="inlineStr"><is><t>a &lt;x:b&gt; x:c</t></is></c></row></sheetData><r:ext/></worksheet>`;
    expect(await everyCut(withoutNamespacePrefix, xml)).toEqual(new Set([want]));
  });

  it('passes a part without such a prefix through untouched', async () => {
    const plain = `<worksheet xmlns="${MAIN}" xmlns:x="urn:other"><x:ext/><sheetData/></worksheet>`;
    expect(await everyCut(withoutNamespacePrefix, plain)).toEqual(new Set([plain]));
  });
});

describe('withCellReferences', () => {
  it('gives rows and cells without references the next row and column, however the text is cut', async () => {
    const xml = '<sheetData><row><c t="s"><v>0</v></c><c><v>1</v></c></row><row/><row spans="1:3"><c/><c r="C3"><v>2</v></c><c>' +
      '<v>3</v></c></row><row r="7"><c t="inlineStr"><is><t>a > b</t></is></c></row><cols><col min="1"/></cols></sheetData>';
    const want = '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>1</v></c></row><row r="2"/><row r="3" spans="1:3"><c r="A3"/><c r="C3"><v>2</v></c><c r="D3">' +
      '<v>3</v></c></row><row r="7"><c r="A7" t="inlineStr"><is><t>a > b</t></is></c></row><cols><col min="1"/></cols></sheetData>';
    expect(await everyCut(withCellReferences, xml)).toEqual(new Set([want]));
  });

  it('fills in the references missing after rows and cells that have theirs, going on from where those were (QA re-check: rows appended below a template)', async () => {
    const xml = '<sheetData><row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c><c r="C1"><v>1</v></c></row><row r="4"><c r="B4"><v>2</v></c><c><v>3</v></c></row>' +
      '<row><c><v>4</v></c><c t="s"><v>5</v></c></row><row r="9"><c r="AA9"/><c/></row></sheetData>';
    const want = '<sheetData><row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c><c r="C1"><v>1</v></c></row><row r="4"><c r="B4"><v>2</v></c><c r="C4"><v>3</v></c></row>' +
      '<row r="5"><c r="A5"><v>4</v></c><c r="B5" t="s"><v>5</v></c></row><row r="9"><c r="AA9"/><c r="AB9"/></row></sheetData>';
    expect(await everyCut(withCellReferences, xml)).toEqual(new Set([want]));
  });

  it('passes a sheet whose first row and cell have their references through untouched', async () => {
    const xml = '<sheetData><row r="1"><c r="A1"><v>0</v></c></row><row r="3"><c r="B3"><v>1</v></c></row></sheetData>';
    expect(await everyCut(withCellReferences, xml)).toEqual(new Set([xml]));
    const empty = '<worksheet><sheetData/></worksheet>';
    expect(await everyCut(withCellReferences, empty)).toEqual(new Set([empty]));
  });
});
