/**
 * File-name globs of the `file.pattern` setting: `*` (any run of characters), `?` (one character) and
 * `{a,b}` (either alternative; alternatives may hold globs and nest). Everything else is literal.
 *
 * Matching ignores case because agency exports come from Windows, where `DANH-SACH.CSV` and `danh-sach.csv`
 * are the same file. Names starting with `.` (hidden and LibreOffice lock files) or `~$` (Excel's lock files,
 * which are not workbooks) never match, as in a shell.
 */
/**
 * Why a pattern cannot be meant as written, or null: a brace it never closes, or one that closes none. Read
 * literally (as {@link compileGlob} reads it, as a shell does), such a pattern matches no export, and `check` would
 * only say that no file matches yet (QA: `khuyet-tat-{*.csv`). Named by its position from 1.
 */
export function globProblem(pattern: string): string | null {
  const open: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '{') open.push(i);
    else if (pattern[i] === '}' && open.pop() === undefined) {
      return `"}" at ${i + 1} closes no "{": braces give alternatives in pairs, as "*.{csv,xlsx}" (a brace in a file name is matched by "?")`;
    }
  }
  return open.length
    ? `unclosed "{" at ${open[0]! + 1}: braces give alternatives in pairs, as "*.{csv,xlsx}" (a brace in a file name is matched by "?")`
    : null;
}

export function compileGlob(pattern: string): (fileName: string) => boolean {
  const re = new RegExp(`^${translate(pattern, 0, false).source}$`, 'iu');
  return (fileName) => !fileName.startsWith('.') && !fileName.startsWith('~$') && re.test(fileName.normalize('NFC'));
}

function translate(pattern: string, from: number, inBraces: boolean): { source: string; end: number } {
  let out = '';
  let alternatives: string[] | null = null;
  let i = from;
  for (; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '{') {
      const inner = translate(pattern, i + 1, true);
      out += inner.source;
      i = inner.end;
    } else if (c === ',' && inBraces) {
      (alternatives ??= []).push(out);
      out = '';
    } else if (c === '}' && inBraces) {
      const all = [...(alternatives ?? []), out];
      return { source: `(?:${all.join('|')})`, end: i };
    } else out += escape(c);
  }
  if (inBraces) {
    // An unclosed brace is literal, as in a shell.
    const literal = '\\{' + [...(alternatives ?? []), out].join(',');
    return { source: literal, end: i };
  }
  return { source: out, end: i };
}

function escape(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c.normalize('NFC');
}
