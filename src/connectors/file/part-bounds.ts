import { Transform, type TransformCallback } from 'node:stream';

/**
 * Bounds on a workbook part's XML, checked on its inflated bytes as they stream out of the zip, before the XML
 * parser sees them: the parser holds a text run, a tag and a row whole, and the reader holds the shared
 * strings whole, so without bounds a 1 MB zip inflating to one 1 GB cell, or to gigabytes of whitespace
 * between two rows, filled the 512 MB heap and crashed the process (QA). Each bound is far above what a
 * spreadsheet program writes; a part past one is refused before it is parsed any further.
 */

/**
 * Most bytes between two `<` of a part: one tag, or one text run (a cell's text, whitespace between tags).
 * Excel holds at most 32,767 characters in a cell, under 200,000 bytes however they are encoded and escaped.
 */
export const MAX_XML_RUN_BYTES = 1_048_576;

/** Most bytes of one row element of a sheet (`<row>` to `</row>`), which the parser holds whole. */
export const MAX_ROW_XML_BYTES = 16_777_216;

/**
 * Most bytes, inflated, of a part the reader holds whole in memory: the shared strings (where Excel keeps a
 * workbook's distinct texts), the styles, the sheet list and its relationships. Held, shared strings take
 * about 2.4 times their part's bytes (measured: 127 MB of them, 303 MB of heap); 64 MiB, some 2 million
 * distinct strings, leaves a sync most of its 512 MB. A larger register is exported as CSV, which streams.
 */
export const MAX_HELD_PART_BYTES = 67_108_864;

/** A part past one of the bounds above, or declaring a document type. `reason` is the hub's own words. */
export class PartRefused extends Error {
  constructor(
    readonly part: string,
    readonly reason: string,
  ) {
    super(`its part ${part} ${reason}`);
  }
}

const LT = 0x3c; // <
const DOCTYPE = Buffer.from('<!DOCTYPE');
const ROW_START = Buffer.from('<row');
/** What ends a row for the row bound: its end tag, or the end of the sheet's data (after a row written `<row …/>`). */
const ROW_ENDS = [Buffer.from('</row>'), Buffer.from('</sheetData>')];
/** Bytes of the previous chunk searched again with the next one, so a marker split between two chunks is found. */
const CARRY = 12;

/**
 * A part's bytes passed through unchanged, refused ({@link PartRefused}) at the first bound passed: a text run
 * or tag over {@link MAX_XML_RUN_BYTES}, a document type declaration (no spreadsheet program writes one; its
 * entities are how an XML file is made to expand), and then, for a part held whole, over
 * {@link MAX_HELD_PART_BYTES} in all, for a sheet, a row over {@link MAX_ROW_XML_BYTES}. Bytes, not characters:
 * `<` is one byte in UTF-8 and never part of another character's encoding.
 */
export function boundedPart(part: string, kind: 'held' | 'sheet'): Transform {
  let run = 0;
  let total = 0;
  /** Bytes since the start of the row being read; -1 outside a row. */
  let row = -1;
  let tail = Buffer.alloc(0);
  const end = new DocumentEnd();
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      const refuse = (reason: string) => done(new PartRefused(part, reason));
      const runTooLong = `has more than ${MAX_XML_RUN_BYTES.toLocaleString('en')} bytes between two tags: a cell's text far longer than Excel's 32,767 characters, or a file made to exhaust memory`;
      const first = chunk.indexOf(LT);
      if (first < 0) {
        run += chunk.length;
      } else {
        if (run + first > MAX_XML_RUN_BYTES) return refuse(runTooLong);
        // A longer run between two `<` inside this chunk is possible only in a chunk longer than the bound.
        if (chunk.length > MAX_XML_RUN_BYTES) {
          for (let at = first, next = chunk.indexOf(LT, at + 1); next >= 0; at = next, next = chunk.indexOf(LT, at + 1)) {
            if (next - at - 1 > MAX_XML_RUN_BYTES) return refuse(runTooLong);
          }
        }
        run = chunk.length - chunk.lastIndexOf(LT) - 1;
      }
      if (run > MAX_XML_RUN_BYTES) return refuse(runTooLong);
      const text = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
      if (text.indexOf(DOCTYPE) >= 0) {
        return refuse('declares a DOCTYPE, which no spreadsheet program writes: its entities could expand without end, so it is not read');
      }
      if (kind === 'held') {
        total += chunk.length;
        if (total > MAX_HELD_PART_BYTES) {
          return refuse(`inflates to more than ${MAX_HELD_PART_BYTES.toLocaleString('en')} bytes, more than the hub holds in memory for a workbook; export it as CSV`);
        }
      } else {
        const start = lastRowStart(text);
        const end = Math.max(...ROW_ENDS.map((m) => text.lastIndexOf(m)));
        if (start > end) row = text.length - start;
        else if (end >= 0) row = -1;
        else if (row >= 0) row += chunk.length;
        if (row > MAX_ROW_XML_BYTES) {
          return refuse(`has a row of more than ${MAX_ROW_XML_BYTES.toLocaleString('en')} bytes, more than the hub holds in memory for one row`);
        }
      }
      tail = Buffer.from(text.subarray(Math.max(0, text.length - CARRY)));
      end.push(chunk);
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      if (end.ended()) return done();
      // QA: a sheet cut after a row before it was zipped (its checksum then right) was read as far as it went, and the
      // run SUCCEEDED with half the rows gone, the file recorded as ingested; cut shared strings left cells empty.
      done(new PartRefused(part, 'ends before its document does (its root element is never closed): the export was cut short before it was zipped, '
        + 'so what came after the cut is missing; export it again from the program that made it'));
    },
  });
}

/** Most bytes at a part's start read to find its root element's name (after the XML declaration and comments). */
const MAX_PROLOG_BYTES = 65_536;
const GT = 0x3e; // >
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/** Where the bytes after the root's end tag are: between markup, or inside a comment or processing instruction. */
const enum After { Between, Lt, Bang, BangDash, Comment, CommentDash, CommentDashDash, Pi, PiQuestion, Broken }

/**
 * Whether a part's bytes, seen as they stream past, make a whole document: its root element (named by its start
 * tag, after the XML declaration and any comment) is closed by an end tag followed only by whitespace, comments and
 * processing instructions (of any length: QA re-check, 600 spaces after `</worksheet>` were refused), or is one empty
 * element (`<sst …/>`). An end tag of the root's name inside a comment is no end: what follows it is not markup's.
 * Searched in bytes, the markup being ASCII; only the root's start is decoded.
 */
export class DocumentEnd {
  private head = '';
  private root: { name: string; empty: boolean } | null | undefined;
  private closeTag: Buffer | null = null;
  /** The end of the last chunk, searched again with the next one for an end tag split between them. */
  private carry: Buffer = Buffer.alloc(0);
  /** An end tag of the root was seen; `state` is what followed it. */
  private closed = false;
  private state = After.Between;

  push(chunk: Buffer): void {
    if (this.root === undefined) {
      this.head += chunk.subarray(0, MAX_PROLOG_BYTES).toString('latin1');
      const m = /^(?:\xEF\xBB\xBF)?\s*(?:<\?[\s\S]*?\?>\s*|<!--[\s\S]*?-->\s*)*<([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)((?:[^>"']|"[^"]*"|'[^']*')*)>/.exec(this.head);
      if (m) this.root = { name: m[1]!, empty: m[2]!.endsWith('/') };
      else if (this.head.length >= MAX_PROLOG_BYTES) this.root = null;
      if (this.root !== undefined) this.head = '';
      if (this.root) this.closeTag = Buffer.from(`</${this.root.name}`, 'latin1');
    }
    const tag = this.closeTag;
    if (!tag || this.root?.empty) return;
    const text = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    let from = this.carry.length;
    // The last end tag of the root's name (`</worksheet>`, `</worksheet  >`) starts the bytes to judge again.
    for (let at = text.lastIndexOf(tag); at >= 0; at = at === 0 ? -1 : text.lastIndexOf(tag, at - 1)) {
      let i = at + tag.length;
      while (i < text.length && isSpace(text[i]!)) i++;
      if (i < text.length && text[i] === GT) {
        this.closed = true;
        this.state = After.Between;
        from = i + 1;
        break;
      }
    }
    if (this.closed) for (let i = from; i < text.length && this.state !== After.Broken; i++) this.state = step(this.state, text[i]!);
    this.carry = Buffer.from(text.subarray(Math.max(0, text.length - tag.length - 64)));
  }

  ended(): boolean {
    if (!this.root) return false;
    return this.root.empty || (this.closed && this.state === After.Between);
  }
}

/** The state after byte `b` of what follows the root's end tag. */
function step(state: After, b: number): After {
  switch (state) {
    case After.Between: return isSpace(b) ? After.Between : b === 0x3c ? After.Lt : After.Broken;
    case After.Lt: return b === 0x21 ? After.Bang : b === 0x3f ? After.Pi : After.Broken;
    case After.Bang: return b === 0x2d ? After.BangDash : After.Broken;
    case After.BangDash: return b === 0x2d ? After.Comment : After.Broken;
    case After.Comment: return b === 0x2d ? After.CommentDash : After.Comment;
    case After.CommentDash: return b === 0x2d ? After.CommentDashDash : After.Comment;
    case After.CommentDashDash: return b === GT ? After.Between : b === 0x2d ? After.CommentDashDash : After.Comment;
    case After.Pi: return b === 0x3f ? After.PiQuestion : After.Pi;
    case After.PiQuestion: return b === GT ? After.Between : b === 0x3f ? After.PiQuestion : After.Pi;
    default: return After.Broken;
  }
}

/** Where the last `<row` start tag (not `<rowBreaks`…) begins in `text`; -1 for none. */
function lastRowStart(text: Buffer): number {
  for (let at = text.lastIndexOf(ROW_START); at >= 0; at = at === 0 ? -1 : text.lastIndexOf(ROW_START, at - 1)) {
    const next = text[at + ROW_START.length];
    if (next === undefined || next === 0x20 || next === 0x09 || next === 0x0a || next === 0x0d || next === 0x2f || next === 0x3e) return at;
  }
  return -1;
}
