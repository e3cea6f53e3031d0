import { describe, expect, it } from 'vitest';
import { CsvParser, type BrokenSplit, type CsvRowSink } from './csv-parser.js';

interface ParsedRow {
  fields: string[];
  line: number;
  problem?: string;
  raw?: string;
  text?: string;
  how?: BrokenSplit;
}

/** Collects rows as plain objects (copying the reused fields array). */
function collector(): CsvRowSink & { rows: ParsedRow[] } {
  const rows: ParsedRow[] = [];
  return {
    rows,
    row: (fields, line, text) => rows.push({ fields: [...fields], line, text }),
    broken: (problem, raw, line, fields, how) => rows.push({ fields: fields ? [...fields] : [], line, problem, raw, ...(how ? { how } : {}) }),
  };
}

function parse(text: string, opts: { expected?: number; pieces?: number; delimiter?: string; maxRowChars?: number } = {}): ParsedRow[] {
  const p = new CsvParser({ ...(opts.delimiter ? { delimiter: opts.delimiter } : {}), ...(opts.maxRowChars ? { maxRowChars: opts.maxRowChars } : {}) });
  p.expectedFields = opts.expected ?? 0;
  const out = collector();
  const size = opts.pieces ?? text.length;
  for (let i = 0; i < text.length; i += size) p.push(text.slice(i, i + size), out);
  p.end(out);
  return out.rows;
}

describe('CsvParser', () => {
  it('reads plain rows with LF, CRLF and CR line breaks and without a final break', () => {
    expect(parse('a,b\r\nc,d\ne,f\rg,h').map((r) => r.fields)).toEqual([['a', 'b'], ['c', 'd'], ['e', 'f'], ['g', 'h']]);
  });

  it('gives each row its text as written, without the line break, however the input was cut', () => {
    const text = 'id,note\r\n1,"Số 5, ngõ 12"\n2,"dòng 1\r\ndòng 2"\r3,""\n4,x';
    for (const pieces of [1, 3, text.length]) {
      expect(parse(text, { pieces }).map((r) => r.text)).toEqual(['id,note', '1,"Số 5, ngõ 12"', '2,"dòng 1\r\ndòng 2"', '3,""', '4,x']);
    }
  });

  it('reads quoted fields with delimiters, doubled quotes and line breaks, counting physical lines', () => {
    const rows = parse('id,note\n1,"Số 5, ngõ 12"\n2,"dòng 1\r\ndòng 2"\n3,"nói ""xin chào"""\n4,""\n');
    expect(rows.map((r) => r.fields)).toEqual([
      ['id', 'note'],
      ['1', 'Số 5, ngõ 12'],
      ['2', 'dòng 1\r\ndòng 2'],
      ['3', 'nói "xin chào"'],
      ['4', ''],
    ]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 3, 5, 6]);
    expect(rows.every((r) => r.problem === undefined)).toBe(true);
  });

  it('gives the same rows whatever the chunk boundaries', () => {
    const text = 'a,b,c\r\n"x\r\ny","q""q",z\r\n,,\r\n"",1,"2"\r\nlast,row,here';
    const whole = parse(text);
    for (const pieces of [1, 2, 3, 5, 7]) expect(parse(text, { pieces })).toEqual(whole);
  });

  it('keeps a quote inside an unquoted field as text', () => {
    expect(parse('a,12" TV,b"c"\n')[0]!.fields).toEqual(['a', '12" TV', 'b"c"']);
  });

  it('flags a row with the wrong number of fields once the expected count is set, with its raw text', () => {
    const rows = parse('1,2,3\n4,5\n6,7,8,9\n\n10,11,12\n', { expected: 3 });
    expect(rows.map((r) => r.problem)).toEqual([undefined, 'expected 3 fields, found 2', 'expected 3 fields, found 4', undefined, undefined]);
    expect(rows[1]!.raw).toBe('4,5');
    expect(rows[3]!.fields).toEqual(['']); // a blank line is an empty row, not a broken one
  });

  it('breaks only the row with text after a closing quote; the neighbours still parse', () => {
    const rows = parse('1,"Nguyễn "An" Văn",x\n2,b,c\n', { expected: 3 });
    expect(rows[0]!.problem).toBe('text after the closing quote of field 2');
    expect(rows[0]!.raw).toBe('1,"Nguyễn "An" Văn",x');
    expect(rows[1]).toEqual({ fields: ['2', 'b', 'c'], line: 2, text: '2,b,c' });
  });

  it('gives a broken row of one line its fields read on leniently, with the field where the quote first broke', () => {
    const rows = parse('1,"Nguyễn "An" Văn",x,"y"z\n"2"b,c,d\n3,"e\nf"g,h\n', { expected: 3 });
    expect(rows[0]).toMatchObject({ fields: ['1', 'Nguyễn An" Văn"', 'x', 'yz'], how: { kind: 'quote', field: 2 } });
    expect(rows[1]).toMatchObject({ fields: ['2b', 'c', 'd'], how: { kind: 'quote', field: 1 } });
    // Broken over lines: its first line alone, without fields.
    expect(rows[2]).toMatchObject({ fields: [], raw: '3,"e', problem: 'text after the closing quote of field 2' });
    expect(rows[2]!.how).toBeUndefined();
    // A row of the wrong width says so.
    expect(parse('1,2\n', { expected: 3 })[0]).toMatchObject({ fields: ['1', '2'], how: { kind: 'miscounted' } });
  });

  it('after a broken row that ran over lines, takes a quote inside an unquoted field for that field\'s end, and gives broken rows there no fields, until a row parses cleanly (QA)', () => {
    // Broken on its first line, its note then running over two lines and closing cleanly: one broken row, both lines (QA:
    // the note's second line was read as a row).
    const note = parse('KS-1,"A "B" C","note line1\nline2 end"\nKS-3,y,z\n', { expected: 3 });
    expect(note.map((r) => [r.line, r.problem ?? 'ok'])).toEqual([[1, 'text after the closing quote of field 2'], [3, 'ok']]);
    expect(note[0]).toMatchObject({ raw: 'KS-1,"A "B" C","note line1\nline2 end"', fields: ['KS-1', 'A B" C"', 'note line1\nline2 end'], how: { kind: 'quote', field: 2 } });
    // A line it took with a row's delimiters may be a row: read again from there, a quote ending it taken for the note's end.
    const rowLike = parse('KS-1,"A "B" C","note line1\nKS-2,x,end"\nKS-3,y,z\n', { expected: 3 });
    expect(rowLike.map((r) => [r.line, r.problem?.slice(0, 22) ?? 'ok', r.how?.kind ?? null])).toEqual([
      [1, 'text after the closing', null], [2, 'a quote inside field 3', null], [3, 'ok', null],
    ]);
    // A quoted field that ran over lines and broke after them (a stray quote that closed lines later): its first line
    // alone, and the lines after it, until one reads cleanly, broken by a quote in an unquoted field (the field's end).
    const tail = parse('KS-1,"abc\nx"q,r\nKS-2,x,end"\nKS-3,y,z\n', { expected: 3 });
    expect(tail.map((r) => [r.line, r.problem ?? 'ok'])).toEqual([
      [1, 'text after the closing quote of field 2'],
      [2, 'a quote inside field 1, on a line after a row broken by its quotes: probably the end of that row\'s quoted field'],
      [3, 'a quote inside field 3, on a line after a row broken by its quotes: probably the end of that row\'s quoted field'],
      [4, 'ok'],
    ]);
    // A broken row right after the restart gives no fields (no id is taken from it); nor does a miscounted one; the first
    // clean row ends the stretch, after which a quote inside an unquoted field is text again (`12" TV`).
    const after = parse('"KS-1\nKS-9",b,"A "B" C"\nKS-8,"D "E" F",g\nKS-7,h\nKS-6,i,j\nKS-5,12" TV,k\nKS-4,"L "M" N",o\n', { expected: 3 });
    expect(after.map((r) => [r.line, r.problem ? 'broken' : 'ok', r.how?.kind ?? null])).toEqual([
      [1, 'broken', null],
      [2, 'broken', null],
      [3, 'broken', null],
      [4, 'broken', null],
      [5, 'ok', null],
      [6, 'ok', null],
      [7, 'broken', 'quote'],
    ]);
    expect(after[5]!.fields).toEqual(['KS-5', '12" TV', 'k']);
    // A note quoted without doubling its quotes, broken on its first line, its second line read as a row: a quote in an
    // unquoted field there is the note's end, and no id is taken from it (QA re-check: filed under the id `chùa`).
    const undoubled = parse('KS-1,A,01/01/2020,"Ghi chú "x", nhận tại\nchùa, xã X, huyện Y, tỉnh Z"\nKS-2,B,02/02/2020,ok\n', { expected: 4 });
    expect(undoubled.map((r) => [r.line, r.problem?.slice(0, 22) ?? 'ok', r.how?.kind ?? null])).toEqual([
      [1, 'text after the closing', 'quote'], [2, 'a quote inside field 4', null], [3, 'ok', null],
    ]);
    // A row broken on its first line whose quote, opened and not closed there, closes cleanly lines later: when a line it
    // took has a row's delimiters, those are rows, read again from the second line (QA re-check: two rows were taken
    // into the first one's reject, up to a `12"` ending the third).
    const took = parse('KS-1,"A "B" C",d,"Ghi chú\nKS-2,e,f,g\nKS-3,h,i,Tivi 12"\nKS-4,j,k,l\n', { expected: 4 });
    expect(took.map((r) => [r.line, r.problem?.slice(0, 22) ?? 'ok', r.fields[0] ?? null])).toEqual([
      [1, 'text after the closing', null], [2, 'ok', 'KS-2'], [3, 'ok', 'KS-3'], [4, 'ok', 'KS-4'],
    ]);
    // After a quote-broken row, a line of its note too wide for a row keeps no id (QA re-check: filed under the id of
    // another child it named first); a blank line in the note does not end the stretch (QA re-check).
    const wide = parse('KS-1,a,b,"Anh "x":\nKS-9, anh, ruột, cùng, cha\n\nNhà 5, ngõ 3, khu 2, tỉnh Z"\nKS-2,c,d,e\n', { expected: 4 });
    expect(wide.map((r) => [r.line, r.problem?.slice(0, 22) ?? 'ok', r.how?.kind ?? null])).toEqual([
      [1, 'text after the closing', 'quote'], [2, 'expected 4 fields, fou', null], [3, 'ok', null], [4, 'a quote inside field 4', null], [5, 'ok', null],
    ]);
    // After a restart, a field kept open by `""` ending a line that then closes cleanly rows later: its rows are read
    // again from its second line (QA re-check: two rows were taken into one reject without an id).
    const escaped = parse('KS-1,a,b,"Mẹ nói:\n"sẽ quay lại""\nKS-2,c,d,e\nKS-3,f,g,TV 32"\n', { expected: 4 });
    expect(escaped.map((r) => [r.line, r.problem ? 'broken' : r.fields[0]])).toEqual([[1, 'broken'], [2, 'broken'], [3, 'KS-2'], [4, 'KS-3']]);
    // A CR alone inside a quoted field is a line too (QA re-check: the rows after it were told a line too low).
    expect(parse('a,"x\ry\nz",c\nKS-2,b,c\n', { expected: 3 }).map((r) => r.line)).toEqual([1, 4]);
    // A line too long to be a row, just after the restart: no fields either (QA re-check: an id from a note's text).
    const long = parse(`KS-1,"abc\nx"q,r\nKS-2,${'y'.repeat(300)}\nKS-3,y,z\n`, { expected: 3, maxRowChars: 100, pieces: 50 });
    expect(long.map((r) => [r.line, r.problem?.slice(0, 16) ?? 'ok', r.fields.length, r.how?.kind ?? null])).toEqual([
      [1, 'text after the c', 0, null], [2, 'a quote inside f', 0, null], [3, 'row longer than ', 0, null], [4, 'ok', 3, null],
    ]);
  });

  it('reports a quote never closed as its first line and parses the following lines again', () => {
    for (const pieces of [undefined, 3]) {
      const rows = parse('h1,h2,h3\n1,"abc,x\n2,b,c\n3,d,e\n', { expected: 3, ...(pieces ? { pieces } : {}) });
      expect(rows.map((r) => [r.line, r.problem ?? null, r.problem ? r.raw : r.fields.join('|')])).toEqual([
        [1, null, 'h1|h2|h3'],
        [2, 'a quoted field (field 2) is not closed', '1,"abc,x'],
        [3, null, '2|b|c'],
        [4, null, '3|d|e'],
      ]);
    }
  });

  it('does not let a stray quote swallow a good row when its quote closes on a later line', () => {
    const rows = parse('1,"abc,x\n2,"b",c\n3,d,e\n', { expected: 3 });
    expect(rows.map((r) => [r.line, r.problem ?? 'ok'])).toEqual([
      [1, 'text after the closing quote of field 2'],
      [2, 'ok'],
      [3, 'ok'],
    ]);
    expect(rows[1]!.fields).toEqual(['2', 'b', 'c']);
  });

  it('gives up on a row longer than maxRowChars and carries on with the next line', () => {
    const rows = parse(`1,"${'x'.repeat(50)}\n${'y'.repeat(20)}\n2,b\n`, { expected: 2, maxRowChars: 40, pieces: 10 });
    expect(rows[0]!.problem).toMatch(/row longer than 40 characters/);
    expect(rows[0]!.line).toBe(1);
    expect(rows.slice(1).map((r) => [r.line, r.problem ?? 'ok'])).toEqual([
      [2, 'expected 2 fields, found 1'],
      [3, 'ok'],
    ]);
  });

  it('says a line too long without a quote is too long, not a quote left open, and passes it on split at its delimiters (QA)', () => {
    const rows = parse(`KS1,An,${'x'.repeat(60)}\n2,b\n`, { expected: 2, maxRowChars: 40, pieces: 10 });
    expect(rows[0]!.problem).toBe('row longer than 40 characters, the most a row may hold');
    expect(rows[0]!.fields.slice(0, 2)).toEqual(['KS1', 'An']);
    expect(rows.slice(1).map((r) => [r.line, r.problem ?? 'ok'])).toEqual([[2, 'ok']]);
    const quoted = parse(`1,"${'x'.repeat(50)}\n${'y'.repeat(20)}\n2,b\n`, { expected: 2, maxRowChars: 40, pieces: 10 });
    expect(quoted[0]!.problem).toBe('row longer than 40 characters: a quoted field in it is probably never closed');
    expect(quoted[0]!.fields).toEqual([]);
  });

  it('supports another delimiter', () => {
    expect(parse('a;b;"c;d"\n', { delimiter: ';' })[0]!.fields).toEqual(['a', 'b', 'c;d']);
  });
});

describe('CsvParser with headerRow', () => {
  it('takes the expected field count from the header row, even within one chunk', () => {
    const p = new CsvParser({ headerRow: 2 });
    const out = collector();
    p.push('title\na,b,c\n1,2\n1,2,3\n', out);
    p.end(out);
    expect(out.rows.map((r) => r.problem ?? 'ok')).toEqual(['ok', 'ok', 'expected 3 fields, found 2', 'ok']);
  });

  describe('rows offered by their text (CsvRowSink.known)', () => {
    /** A sink that recognises the texts in `known` and collects the rest as `collector` does. */
    function recognising(known: Set<string>, opts: { from?: number } = {}) {
      const out = collector();
      const offered: string[] = [];
      const taken: Array<{ text: string; index: number }> = [];
      let seen = 0;
      const sink: CsvRowSink = {
        row: (fields, line, text) => {
          seen++;
          out.row(fields, line, text);
        },
        broken: (problem, raw, line) => {
          seen++;
          out.broken(problem, raw, line);
        },
        get recognising() {
          return seen >= (opts.from ?? 0);
        },
        known(text) {
          offered.push(text);
          if (!known.has(text)) return false;
          taken.push({ text, index: seen++ });
          return true;
        },
      };
      return { sink, rows: out.rows, offered, taken };
    }

    const run = (text: string, known: Set<string>, pieces = text.length, opts: { from?: number } = {}) => {
      const r = recognising(known, opts);
      const p = new CsvParser({ headerRow: 1 });
      for (let i = 0; i < text.length; i += pieces) p.push(text.slice(i, i + pieces), r.sink);
      p.end(r.sink);
      return r;
    };

    it('skips splitting a recognised row and keeps counting lines for the rows after it, however the input was cut', () => {
      const text = 'id,name\n1,An\n2,Bình\r\n3,"Chi, Lan"\n4,"dòng 1\ndòng 2"\n5,Dũng\n6,Hà';
      for (const pieces of [1, 2, 5, text.length]) {
        const r = run(text, new Set(['1,An', '2,Bình', '5,Dũng', '6,Hà']), pieces);
        expect(r.taken.map((t) => t.text)).toEqual(['1,An', '2,Bình', '5,Dũng']);
        // Quoted rows are never offered; a row at the very end (no line break yet) is split as usual.
        expect(r.offered).toEqual(['id,name', '1,An', '2,Bình', '5,Dũng']);
        expect(r.rows.map((x) => [x.fields, x.line])).toEqual([
          [['id', 'name'], 1],
          [['3', 'Chi, Lan'], 4],
          [['4', 'dòng 1\ndòng 2'], 5],
          [['6', 'Hà'], 8],
        ]);
      }
    });

    it('gives a row it does not recognise to row(), and offers nothing while the sink is not recognising', () => {
      const r = run('id,name\n1,An\n2,Bình\n', new Set(['1,An', '2,Bình']), undefined, { from: 2 });
      expect(r.offered).toEqual(['2,Bình']);
      expect(r.rows.map((x) => x.text)).toEqual(['id,name', '1,An']);
      expect(r.taken.map((t) => t.text)).toEqual(['2,Bình']);
    });

    it('never offers a row with a lone CR in it, nor a broken one: they are parsed and reported as always', () => {
      const r = run('id,name\n1,An\rx\n2,"Bình\n3,Chi\n', new Set(['1,An\rx', '1,An', 'x', '3,Chi']));
      // A lone CR ends a row: `1,An` is split as usual (line 2), `x` is offered (line 3).
      expect(r.offered).not.toContain('1,An\rx');
      expect(r.rows[1]).toMatchObject({ fields: ['1', 'An'], line: 2 });
      expect(r.taken.map((t) => t.text)).toContain('x');
      expect(r.rows.find((x) => x.problem)?.line).toBe(4);
      // The rows after the broken quote still come through (recognised or not).
      expect([...r.taken.map((t) => t.text), ...r.rows.map((x) => x.text ?? x.raw)]).toContain('3,Chi');
    });
  });
});
