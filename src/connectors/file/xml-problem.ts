/**
 * What is wrong with a workbook part's XML, in the hub's own words, from the XML parser's error (saxes, under
 * exceljs: `2:2055: malformed character entity.`); undefined when the error is not the parser's or not one
 * it can tell. The parser's own message may quote the file (a tag's name), so it is never passed on: only
 * which kind of damage it found (QA: a cell holding `&#0;` was refused with nothing but a redacted message).
 */
export function xmlProblem(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const parsed = /^(?:.*:)?\d+:\d+: (.+)$/s.exec(error.message);
  if (!parsed) return undefined;
  const problem = parsed[1]!;
  return XML_PROBLEMS.find(([pattern]) => pattern.test(problem))?.[1];
}

const XML_PROBLEMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^malformed character entity/, 'a character reference names a character XML does not allow, or is not a number'],
  [/^(undefined entity|disallowed character in entity name|empty entity name)/, 'a reference to an entity XML does not define, as an ampersand left unescaped or an HTML entity is'],
  [
    /^(unexpected close tag|unmatched closing tag|unclosed tag|weird empty close tag|text data outside of root node|documents may contain only one root|disallowed character in (closing tag|tag name)|forward-slash in opening tag)/,
    'a tag that does not belong where it is, or is not closed',
  ],
  [/^disallowed character\.$/, 'a character XML does not allow'],
  [/^unexpected end/, 'it ends before its last element is closed'],
];
