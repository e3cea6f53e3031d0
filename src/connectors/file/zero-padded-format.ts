/**
 * A number format that pads a whole number with zeros (`000000000000`, `00000`), as registers format
 * identity numbers (CCCD, 12 digits) and commune codes (5 digits): Excel shows 1203004567 as `001203004567`,
 * and that text is the number's meaning. Read as the number, an identity number lost its leading zeros and
 * was another child's (QA).
 *
 * A format qualifies when it is one section made of digit placeholders `0` and literal digits only, quoted
 * (`"00"0000000000`) or escaped (`\0`), as exceljs hands it from the styles part (XML entities decoded), and
 * shows at least two characters: `0` alone (Excel's "Number, no decimals") pads nothing, and its numbers stay
 * numbers. Anything else (`#`, `,`, decimals, sections, colours, conditions) is left alone.
 */
const TOKEN = /0|"\d*"|\\\d/gy;

/** Parsed formats by their code: a workbook has a handful, its cells repeat them. */
const parsed = new Map<string, readonly string[] | null>();
const PARSED_LIMIT = 1_000;

/**
 * The text Excel shows for `value` in a cell of format `numFmt`, when the format pads with zeros and the value
 * is a whole number from 0 to 2^53 - 1; otherwise undefined (the value is read as it is).
 */
export function zeroPaddedText(value: number, numFmt: string | undefined): string | undefined {
  if (numFmt === undefined || !Number.isSafeInteger(value) || value < 0) return undefined;
  const tokens = zeroPaddingTokens(numFmt);
  if (tokens === null) return undefined;
  // Excel fills the placeholders from the right, one digit each; the leftmost takes the digits left over.
  const placeholders = tokens.filter((t) => t === '0').length;
  const digits = String(value).padStart(placeholders, '0');
  let next = 0;
  let out = '';
  for (const t of tokens) {
    if (t !== '0') {
      out += t;
      continue;
    }
    const take = next === 0 ? digits.length - (placeholders - 1) : 1;
    out += digits.slice(next, next + take);
    next += take;
  }
  return out;
}

/** The format's placeholders (`0`) and literal digits in order, or null for a format that does not pad. */
function zeroPaddingTokens(numFmt: string): readonly string[] | null {
  const known = parsed.get(numFmt);
  if (known !== undefined) return known;
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  for (let m = TOKEN.exec(numFmt); m !== null && at < numFmt.length; m = TOKEN.exec(numFmt)) {
    const t = m[0];
    if (t !== '0') {
      const literal = t.startsWith('"') ? t.slice(1, -1) : t.slice(1);
      if (literal !== '') tokens.push(literal);
    } else tokens.push(t);
    at = TOKEN.lastIndex;
  }
  const width = tokens.reduce((n, t) => n + t.length, 0);
  const result = at === numFmt.length && tokens.includes('0') && width >= 2 ? tokens : null;
  if (parsed.size >= PARSED_LIMIT) parsed.clear();
  parsed.set(numFmt, result);
  return result;
}
