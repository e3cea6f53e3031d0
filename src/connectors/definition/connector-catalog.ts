import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import YAML, { LineCounter } from 'yaml';
import type { z } from 'zod';
import { PROJECT_ROOT } from '../../config/config.js';
import { ConfigError } from '../../errors/config-error.js';
import { loggedOutcome } from '../../observability/logger.js';
import { canonicalJson } from '../../services/ingest/source-record.normalizer.js';
import { describeInput } from '../mapping/mapping.schema.js';
import { MAPPING_RULES_VERSION } from '../mapping/rules-version.js';
import { CONNECTOR_NAME, connectorDefinitionSchema, type ConnectorDefinition } from './connector-definition.schema.js';
import { ConnectorNotFoundError } from './connector-not-found.error.js';
import { keysAt, nearestKey } from './key-suggestion.js';
import { DefinitionInvalidError, type DeclaredConnector, type DefinitionProblem } from './definition-invalid.error.js';

/** The folder holding one sub-folder per connector. */
export const CONNECTORS_DIR = path.join(PROJECT_ROOT, 'connectors');
export const DEFINITION_FILE = 'connector.yaml';

/** A validated definition with where it came from and the hashes that version it. */
export interface LoadedConnector {
  definition: ConnectorDefinition;
  /** Absolute path of the definition file. */
  file: string;
  /** The connector's folder (samples, simulator, README). */
  folder: string;
  /** SHA-256 of the whole definition: a change of any setting is a new version. */
  definitionHash: string;
  /**
   * SHA-256 of what decides a record's mapped content (source system, record mappings and the hub's
   * {@link MAPPING_RULES_VERSION}). Part of every record's content hash, so changing the mapping re-processes
   * records; and the next sync of a connector whose stored records were read with another one reads its source
   * whole again (`connector.records_mapping_hash`).
   */
  mappingHash: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

/** A connector's name as the catalog finds it: its definition file's folder. */
export const folderOf = (file: string) => path.basename(path.dirname(file));

/**
 * A definition file as messages name it: relative to the project when it is inside it
 * (`connectors/school/connector.yaml`), otherwise absolute (a draft in `/tmp`, not `../../tmp/…`).
 */
function definitionPath(file: string): string {
  const rel = path.relative(PROJECT_ROOT, path.resolve(file));
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.resolve(file);
}

/** Why a definition file cannot be read, in the hub's words. */
function unreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read: the hub\'s user may not read it';
  if (code === 'ENOENT') return 'does not exist (or is a link to a file that does not)';
  if (code === 'ELOOP') return 'is a link that leads back to itself (or through too many links)';
  return `cannot be read (${code ?? 'I/O error'})`;
}

/**
 * What each kind of YAML syntax error means, in the hub's words. The parser's own messages quote the text
 * around the error, which may be a secret written literally (`value: |Hunter2`): they are never repeated.
 */
const YAML_ERRORS: Partial<Record<YAML.ErrorCode, string>> = {
  BAD_ALIAS: 'an alias (`*name`) that cannot be read: quote a value that starts with `*`',
  BAD_DQ_ESCAPE: 'an invalid escape sequence (`\\…`) in a double-quoted string: use single quotes, or write `\\\\` for a backslash',
  BAD_INDENT: 'indentation that does not line up with the keys around it',
  BAD_SCALAR_START: 'a value that starts with a character YAML reserves (`@`, `` ` ``, `%`…): quote it',
  BLOCK_AS_IMPLICIT_KEY: 'a key that is not on one line',
  MULTILINE_IMPLICIT_KEY: 'a key that is not on one line (a missing `:` or closing quote above?)',
  BLOCK_IN_FLOW: 'a block value inside `[ … ]` or `{ … }`',
  DUPLICATE_KEY: 'a key given twice in the same map',
  MISSING_CHAR: 'a closing quote, bracket or brace is missing (noticed here: the one it closes opens on this line or above)',
  TAB_AS_INDENT: 'a tab used to indent: YAML indents with spaces',
  TAG_RESOLVE_FAILED: 'a tag (`!…`) YAML does not know: quote a value that starts with `!`',
  UNEXPECTED_TOKEN: 'text YAML does not expect here (a value starting with `|`, `>`, `}` or `]` must be quoted; check colons and quotes)',
  MULTIPLE_DOCS: 'more than one YAML document (`---`): a definition is one',
  MULTIPLE_ANCHORS: 'two anchors (`&name`) on one value',
  MULTIPLE_TAGS: 'two tags (`!…`) on one value',
  KEY_OVER_1024_CHARS: 'a key longer than 1,024 characters',
  NON_STRING_KEY: 'a key that is not text',
};

/** At most this many YAML syntax errors are listed: after the first, the parser often reports every token that follows. */
const MAX_YAML_PROBLEMS = 5;

function yamlProblems(errors: YAML.YAMLError[], lc: LineCounter): DefinitionProblem[] {
  const out: DefinitionProblem[] = [];
  const lines = new Set<number | null>();
  for (const e of errors) {
    const pos = e.linePos?.[0] ?? (Array.isArray(e.pos) ? lc.linePos(e.pos[0]) : undefined);
    const line = pos?.line ?? null;
    if (lines.has(line)) continue; // one per line: the rest of a line's errors follow from its first
    lines.add(line);
    out.push({ path: '(yaml)', line, column: pos?.col ?? null, message: `YAML syntax: ${YAML_ERRORS[e.code] ?? `not valid YAML (${e.code})`}` });
  }
  if (out.length > MAX_YAML_PROBLEMS) {
    const more = out.length - MAX_YAML_PROBLEMS;
    out.splice(MAX_YAML_PROBLEMS, more, { path: '(yaml)', line: null, column: null, message: `and ${more} more lines YAML cannot read, most likely following from the first` });
  }
  return out;
}

/** Where the aliases are whose anchor is not set before them (or that expand without bound). */
function unresolvedAliases(doc: YAML.Document, lc: LineCounter): DefinitionProblem[] {
  const out: DefinitionProblem[] = [];
  YAML.visit(doc, {
    Alias(_, node) {
      let resolved: unknown;
      try {
        resolved = node.resolve(doc);
      } catch {
        resolved = undefined;
      }
      if (resolved === undefined && node.range) {
        const pos = lc.linePos(node.range[0]);
        out.push({ path: '(yaml)', line: pos.line, column: pos.col, message: `YAML syntax: ${YAML_ERRORS.BAD_ALIAS}` });
      }
    },
  });
  return out.length ? out : [{ path: '(yaml)', line: null, column: null, message: 'YAML syntax: aliases (`*name`) that expand without bound' }];
}

/** What an invalid definition gives for what it is ({@link DeclaredConnector}), where it gives it: a kind only if it is one. */
function declaredOf(input: unknown): DeclaredConnector {
  if (!input || typeof input !== 'object') return {};
  const out: DeclaredConnector = {};
  const given = input as Record<string, unknown>;
  if (given.kind === 'http' || given.kind === 'file') out.kind = given.kind;
  for (const key of ['sourceSystem', 'title'] as const) {
    const v = given[key];
    if (typeof v === 'string' && v.trim()) out[key] = v.trim();
  }
  return out;
}

/** How {@link loadDefinitionFile} treats a `name` that is not the name of the definition's folder. */
export interface LoadOptions {
  /**
   * `error` (the default): the definition is refused, as the catalog finds connectors by folder. `note`: for
   * a draft checked before it is put in its folder (`connectors validate --file /tmp/draft.yaml`), the rule
   * is reported in {@link LoadedDefinitionFile.notes} and the definition still validates.
   */
  folderName?: 'error' | 'note';
  /** How messages name the file (the path a person gave on the command line); by default {@link definitionPath}. */
  displayName?: string;
  /**
   * The folder connectors are found in (`CONNECTORS_DIR`), named in the hint saying where the file belongs; by
   * default the folder holding the definition's folder (QA: the hint said `connectors/…` when it was elsewhere).
   */
  connectorsDir?: string;
}

/** A definition file that validates, with what a person should still know about it. */
export interface LoadedDefinitionFile extends LoadedConnector {
  /** Rules the definition does not meet yet that do not make it invalid (see {@link LoadOptions.folderName}). */
  notes: DefinitionProblem[];
}

/**
 * Parses and validates one definition file. Problems name the file, line, column, the path inside the
 * definition and the reason, all of them at once (the folder-name rule included); nothing about a connector
 * is half-accepted.
 */
export function loadDefinitionFile(file: string, opts: LoadOptions = {}): LoadedDefinitionFile {
  const rel = opts.displayName ?? definitionPath(file);
  let text: string;
  try {
    // Only a regular file is read: opening a named pipe would wait for a writer, and with it the gateway and the
    // worker (QA: a FIFO named connector.yaml froze the demo).
    const st = statSync(file);
    if (!st.isFile()) {
      const what = st.isDirectory() ? 'is a directory, not a file' : 'is not a regular file (a named pipe, socket or device)';
      throw new DefinitionInvalidError(rel, [{ path: '(file)', line: null, column: null, message: what }]);
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof DefinitionInvalidError) throw err;
    // A file the hub may not read, a link to nothing: this connector is invalid, the others load.
    const message = loops(path.dirname(file)) ? 'cannot be read: its connector folder is a link that leads back to itself (or through too many links)' : unreadable(err);
    throw new DefinitionInvalidError(rel, [{ path: '(file)', line: null, column: null, message }]);
  }
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  // A key given twice leaves the file readable (the later value is taken, as YAML parsers without the check
  // do): it is one problem among the schema's, not one that hides them (QA: a repeated `timeoutMs` was the only
  // problem told, and seven more came after it was fixed). Any other syntax error stops here.
  const duplicateKeys = doc.errors.filter((e) => e.code === 'DUPLICATE_KEY');
  if (doc.errors.length > duplicateKeys.length) throw new DefinitionInvalidError(rel, yamlProblems(doc.errors, lineCounter));
  let input: unknown;
  try {
    input = doc.toJS({ maxAliasCount: 100 });
  } catch {
    // An alias whose anchor is not set (`value: *Hunter2`: a literal starting with `*`), or aliases expanding
    // without bound. The library's message quotes the text: never repeated (it may be a secret).
    throw new DefinitionInvalidError(rel, unresolvedAliases(doc, lineCounter));
  }
  // The later value is the one checked (`toJS` keeps the last), and problems point at it (QA re-check: they pointed at
  // the earlier key's line): the earlier pairs leave the document once it is read, so an anchor in one still serves
  // an alias in the later value (QA re-check: dropped first, `retry: *r` after `retry: &r {…}` could not be read).
  if (duplicateKeys.length) keepLastOfRepeatedKeys(doc);
  if (input === null || input === undefined) {
    throw new DefinitionInvalidError(rel, [{ path: '(definition)', line: null, column: null, message: 'the file is empty (or holds only comments)' }]);
  }
  const folder = path.dirname(file);
  const name = (input as { name?: unknown } | null)?.name;
  const nameAt = locate(doc, lineCounter, ['name']);
  // A name that cannot be one is the schema's problem alone: no place is offered for it, nor its text repeated
  // (QA: `name: "../../etc"` was offered /etc/connector.yaml, and a value written there was quoted back).
  const validName = typeof name === 'string' && CONNECTOR_NAME.test(name);
  const home = validName ? definitionPath(path.join(opts.connectorsDir ?? path.dirname(folder), name, DEFINITION_FILE)) : '';
  const folderProblem: DefinitionProblem | null = validName && name !== path.basename(folder)
    ? {
        path: 'name',
        line: nameAt?.line ?? null,
        column: nameAt?.col ?? null,
        // A folder that cannot be a connector's name is renamed, not matched (QA: "My_Conn" was asked for).
        message: CONNECTOR_NAME.test(path.basename(folder))
          ? `must equal the folder name "${path.basename(folder)}" (connectors are found by folder): put the file at ${home}`
          : `must equal its folder's name (connectors are found by folder), and "${path.basename(folder)}" cannot be one: put the file at ${home}`,
      }
    : null;
  const problems: DefinitionProblem[] = [
    ...duplicateKeys.map((e) => {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      return { path: '(yaml)', line: pos.line, column: pos.col, message: `YAML syntax: ${YAML_ERRORS.DUPLICATE_KEY}` };
    }),
    ...(folderProblem && opts.folderName !== 'note' ? [folderProblem] : []),
  ];
  let parsed: ReturnType<typeof connectorDefinitionSchema.safeParse>;
  try {
    parsed = connectorDefinitionSchema.safeParse(input);
  } catch (err) {
    // A fault of the checks themselves leaves this one definition invalid, not every connector unlisted and the
    // gateway and workers unable to start (QA: a `null` in `records` crashed a rule that read it).
    const message = `could not be checked (${err instanceof Error ? err.message : String(err)}): a fault of the hub's, please report it with the file`;
    throw new DefinitionInvalidError(rel, [...problems, { path: '(definition)', line: null, column: null, message }], declaredOf(input));
  }
  if (!parsed.success) {
    for (const issue of followOnsDropped(parsed.error.issues.flatMap((i) => expandUnion(i)))) {
      if (issue.code === 'unrecognized_keys') {
        // At each key, not at the map holding it (QA: a misspelt key was pointed at its parent's first line). A
        // schema's own message says why better than "misspelt" (QA: a secret's `default` was taken for a typo).
        const message = ZOD_WORDING.test(issue.message) ? 'is not a known setting here (misspelt?)' : issue.message;
        for (const key of issue.keys) {
          const at = [...issue.path, key] as Array<string | number>;
          const where = locateKey(doc, lineCounter, at) ?? locate(doc, lineCounter, at);
          // The key it most likely meant (newcomer QA: `fulName` and `requestsPerSecnd` were not told `fullName`).
          const meant = ZOD_WORDING.test(issue.message) ? nearestKey(key, keysAt(connectorDefinitionSchema, issue.path as Array<string | number>)) : null;
          problems.push({ path: at.join('.'), line: where?.line ?? null, column: where?.col ?? null, message: meant ? `is not a known setting here (misspelt? ${meant} is)` : message });
        }
        continue;
      }
      const where = locate(doc, lineCounter, issue.path as Array<string | number>);
      problems.push({
        path: issue.path.length ? issue.path.join('.') : '(definition)',
        line: where?.line ?? null,
        column: where?.col ?? null,
        message: isMissing(input, issue) ? 'is required' : inHubWords(input, issue),
      });
    }
  }
  if (problems.length || !parsed.success) throw new DefinitionInvalidError(rel, sortByLine(problems), declaredOf(input));
  const definition = parsed.data;
  return {
    definition,
    file,
    folder,
    definitionHash: sha256(canonicalJson(definition)),
    mappingHash: sha256(canonicalJson({ sourceSystem: definition.sourceSystem, records: definition.records, rules: MAPPING_RULES_VERSION })),
    notes: folderProblem && opts.folderName === 'note' ? [folderProblem] : [],
  };
}

/** The readings of invalid definitions {@link logInvalidDefinition} has told in this process. */
const toldInvalid = new WeakSet<DefinitionInvalidError>();

/**
 * Logs an invalid definition as an error naming its connector, file and problems (no stack: it is the
 * definition's fault, not the code's). A process that runs syncs says so whenever it reads one, since that
 * connector is neither scheduled nor synced until the file is fixed.
 */
export function logInvalidDefinition(logger: Logger, err: DefinitionInvalidError): void {
  // Once per reading of the file in a process: the demo's gateway and worker share one catalog, and both told
  // it at start (QA). A file edited and still invalid is a new reading, told again.
  if (toldInvalid.has(err)) return;
  toldInvalid.add(err);
  logger.error(
    { connector: folderOf(err.file), file: err.file, err: loggedOutcome(err) },
    'connector definition invalid: not scheduled or synced until it is fixed',
  );
}

/**
 * What a definition file is like now (inode, size, modification and change times), to tell whether it was
 * written since it was read; undefined when it is gone.
 */
function fileSignature(file: string): string | undefined {
  // A link to nothing, or to itself, is still a file someone wrote: signed by the link itself, so it is read (and
  // refused), not passed over (QA: a link loop threw out of every reading of the folder).
  const st = quietly(() => statSync(file, { throwIfNoEntry: false, bigint: true }))
    ?? quietly(() => lstatSync(file, { throwIfNoEntry: false, bigint: true }))
    ?? (loops(path.dirname(file)) ? quietly(() => lstatSync(path.dirname(file), { bigint: true })) : undefined);
  return st ? `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` : undefined;
}

/** `fn`'s answer, or undefined when it throws (a link loop, a folder the hub may not search). */
function quietly<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/**
 * What is wrong with `dir` as the folder connectors are found in (`CONNECTORS_DIR`), or null: it does not exist,
 * is not a directory, or is a link that leads back to itself.
 */
export function connectorsDirProblem(dir: string): string | null {
  if (loops(dir)) return 'is a link that leads back to itself (or through too many links)';
  const st = quietly(() => statSync(dir, { throwIfNoEntry: false }));
  if (!st) return 'does not exist';
  return st.isDirectory() ? null : 'is not a directory';
}

/**
 * The definition file of every connector folder under `dir`, in name order (a folder removed meanwhile is passed
 * over). None when `dir` does not exist (yet); a `dir` that is not a directory is a configuration error, said as
 * such (QA: a raw ENOTDIR).
 */
function definitionFiles(dir: string): string[] {
  if (!existsSync(dir) && !loops(dir)) return [];
  const problem = connectorsDirProblem(dir);
  if (problem) throw new ConfigError(`The connectors directory ${dir} ${problem} (CONNECTORS_DIR)`, ['CONNECTORS_DIR']);
  return readdirSync(dir)
    .sort()
    .map((entry) => path.join(dir, entry, DEFINITION_FILE))
    .filter((file) => {
      const folder = path.dirname(file);
      // A folder that is a link leading back to itself is listed, as that connector's problem (QA: it was passed over).
      if (loops(folder)) return true;
      return quietly(() => statSync(folder, { throwIfNoEntry: false }))?.isDirectory() && quietly(() => lstatSync(file, { throwIfNoEntry: false })) !== undefined;
    });
}

/** Whether `file` is a link that leads back to itself (directly or through other links). */
function loops(file: string): boolean {
  try {
    statSync(file);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ELOOP' && quietly(() => lstatSync(file).isSymbolicLink()) === true;
  }
}

type Issue = z.core.$ZodIssue;

/**
 * A value matching no option of a union is one issue ("Invalid input") hiding the reasons. When exactly one
 * option takes a value of that shape (an object where the other option is a string), its own issues are
 * the reasons, reported at their paths.
 */
function expandUnion(issue: Issue, base: PropertyKey[] = []): Issue[] {
  const at = [...base, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length) {
    const fitting = issue.errors.filter((option) => !option.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')));
    if (fitting.length === 1) return fitting[0]!.flatMap((i) => expandUnion(i, at));
  }
  return [{ ...issue, path: at }];
}

/**
 * Whether the issue is about a setting the definition leaves out (zod says "expected object, received undefined",
 * for a setting of several forms "Invalid input", for one of a list of values "Invalid option").
 */
function isMissing(input: unknown, issue: Issue): boolean {
  if ((issue.code !== 'invalid_type' && issue.code !== 'invalid_union' && issue.code !== 'invalid_value') || issue.path.length === 0) return false;
  let v: unknown = input;
  for (const key of issue.path) {
    if (v === null || typeof v !== 'object') return false;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v === undefined;
}

/**
 * The issues without those that follow from another at the same place: a value of the wrong kind is also "too
 * short" when it is an empty list where text belongs (QA: `from: []` told "a path is empty" as well).
 */
function followOnsDropped(issues: Issue[]): Issue[] {
  const wrongKind = new Set(issues.filter((i) => i.code === 'invalid_type').map((i) => i.path.join('\0')));
  return issues.filter((i) => !((i.code === 'too_small' || i.code === 'too_big') && wrongKind.has(i.path.join('\0'))));
}

/** What zod's names of kinds are in a definition's words (YAML's). */
const KIND_WORDS: Readonly<Record<string, string>> = {
  string: 'text', number: 'a number', int: 'a whole number', boolean: 'true or false', object: 'a map', record: 'a map', array: 'a list',
};

/** zod's own wordings (`Invalid input: …`, `Too small: …`), which the hub says its way; a schema's own message is kept. */
const ZOD_WORDING = /^(?:Invalid input|Invalid option|Invalid discriminator value|Too small|Too big|Unrecognized key)/;

/** A value a closed list allows, as a definition writes it. */
const allowed = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * An issue's message, zod's own wording ("Invalid input: expected string, received array", "Too small: expected
 * number to be >0", "Invalid option: expected one of …") said as the hub says it: what it must be, and for a
 * value of the wrong kind what kind it got (never the value, which may be a secret written in the wrong place).
 * One place for all settings, rather than a message on each.
 */
function inHubWords(input: unknown, issue: Issue): string {
  if (!ZOD_WORDING.test(issue.message)) return issue.message;
  const got = () => describeInput(valueAt(input, issue.path));
  switch (issue.code) {
    case 'invalid_type':
      // A fraction where a whole number belongs is a number still: say which kind of number (QA: "must be a whole number; got a number").
      if (issue.expected === 'int' && typeof valueAt(input, issue.path) === 'number') return 'must be a whole number, not a fraction';
      return KIND_WORDS[issue.expected] ? `must be ${KIND_WORDS[issue.expected]}; got ${got()}` : issue.message;
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${allowed(issue.values[0])}` : `must be one of ${issue.values.map(allowed).join(', ')}`;
    case 'invalid_union': {
      if ('options' in issue && Array.isArray(issue.options)) return `must be one of ${(issue.options as unknown[]).map(allowed).join(', ')}`;
      // Every form refused the value's kind (`settleSeconds: zero`): name the forms it may take.
      const kinds = issue.errors.map((option) => option.flatMap((i) => (i.path.length === 0 && i.code === 'invalid_type' ? [i.expected] : []))[0]);
      if (kinds.every((k) => k !== undefined && KIND_WORDS[k])) return `must be ${[...new Set(kinds.map((k) => KIND_WORDS[k!]))].join(' or ')}; got ${got()}`;
      return issue.message;
    }
    case 'too_small':
    case 'too_big':
      return boundWords(issue);
    default:
      return issue.message;
  }
}

/** A bound zod words as "Too small: expected number to be >0", in the definition's words. */
function boundWords(issue: Extract<Issue, { code: 'too_small' | 'too_big' }>): string {
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  if (issue.origin === 'string') {
    if (small && bound === 1) return 'must not be empty';
    return `must be ${small ? 'at least' : 'at most'} ${bound} characters long`;
  }
  if (issue.origin === 'array' || issue.origin === 'set') {
    if (small && bound === 1) return 'must list at least one entry';
    return `must list ${small ? 'at least' : 'at most'} ${bound} entries`;
  }
  if (inclusive) return `must be ${small ? 'at least' : 'at most'} ${bound}`;
  return `must be ${small ? 'more' : 'less'} than ${bound}`;
}

/** The value at `at` in the definition as read, or undefined. */
function valueAt(input: unknown, at: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of at) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

const sortByLine = (problems: DefinitionProblem[]) =>
  problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? Infinity) - (b.column ?? Infinity));

/** Where the key itself is written (the last element of `p`), in the map at the rest of `p`. */
function locateKey(doc: YAML.Document, lc: LineCounter, p: Array<string | number>): { line: number; col: number } | null {
  const map = p.length > 1 ? doc.getIn(p.slice(0, -1), true) : doc.contents;
  if (!YAML.isMap(map)) return null;
  const pair = map.items.find((i) => (YAML.isScalar(i.key) ? i.key.value : i.key) === p[p.length - 1]);
  const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
  return range ? lc.linePos(range[0]) : null;
}

/** Drops, in every map of `doc`, each pair whose key a later pair of the same map repeats. */
function keepLastOfRepeatedKeys(doc: YAML.Document): void {
  YAML.visit(doc, {
    Map(_, map) {
      const keyOf = (pair: YAML.Pair) => (YAML.isScalar(pair.key) ? pair.key.value : pair.key);
      const last = new Map<unknown, number>();
      map.items.forEach((pair, i) => last.set(keyOf(pair), i));
      map.items = map.items.filter((pair, i) => last.get(keyOf(pair)) === i);
    },
  });
}

function locate(doc: YAML.Document, lc: LineCounter, p: Array<string | number>): { line: number; col: number } | null {
  for (let n = p.length; n >= 0; n--) {
    const node = doc.getIn(p.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lc.linePos(node.range[0]);
  }
  return null;
}

/**
 * Every connector folder under `dir`, validated; invalid ones are reported, valid ones still load. A
 * long-running process (worker, gateway) keeps it current with {@link current} and {@link refresh}: a
 * definition file added, edited, fixed or removed is taken without a restart.
 */
export class ConnectorCatalog {
  /** Each definition file read, valid or not, by folder name: what its file was like then ({@link fileSignature}). */
  private readonly signatures = new Map<string, string>();
  private changes = 0;

  /**
   * Counts the changes {@link refresh} took (a definition added, edited, broken, fixed or removed). Whoever reads the
   * folder first takes a change, so a reader that must act on every change (the worker's schedules) compares the
   * version it acted on, not what its own refresh returned.
   */
  get version(): number {
    return this.changes;
  }

  private constructor(
    readonly dir: string,
    private readonly byName: Map<string, LoadedConnector>,
    readonly invalid: DefinitionInvalidError[],
  ) {}

  static load(dir: string = CONNECTORS_DIR): ConnectorCatalog {
    const catalog = new ConnectorCatalog(dir, new Map(), []);
    catalog.refresh();
    return catalog;
  }

  /** The valid definitions, by name (those read again later sort in among the others). */
  list(): LoadedConnector[] {
    return this.names().map((n) => this.byName.get(n)!);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** Every connector folder's name, its definition valid or not. */
  folderNames(): string[] {
    return [...this.names(), ...this.invalid.map((e) => folderOf(e.file))].sort();
  }

  /**
   * The named connector as its file says now, for a sync about to run it. A known connector costs one `stat`
   * of its file; one whose file changed since it was read (edited, disabled, broken, removed), or a name the
   * catalog does not know, has the folder read again ({@link refresh}): a worker or the gateway takes a
   * definition added, edited or fixed after it started without a restart, and refuses a name still unknown
   * naming every connector defined now. `onInvalid` is told of each invalid definition that reading finds,
   * for the caller to log. Throws as {@link get}.
   */
  current(name: string, onInvalid?: (err: DefinitionInvalidError) => void): LoadedConnector {
    const known = this.byName.get(name);
    if (!known || fileSignature(known.file) !== this.signatures.get(name)) this.refresh(onInvalid);
    return this.get(name);
  }

  /**
   * Reads again every definition file that is new or changed since it was read (size, modification time or
   * inode: an edit in place or a file moved over it), and forgets the connectors whose file is gone. A file
   * that no longer validates takes its connector out of the list (a sync of it is refused naming its
   * problems) until it is fixed; `onInvalid` is told of each such file when it is read, once per change.
   * Returns whether anything changed (a worker then updates its schedules).
   */
  refresh(onInvalid?: (err: DefinitionInvalidError) => void): boolean {
    let changed = false;
    const present = new Set<string>();
    const invalid = new Map(this.invalid.map((e) => [folderOf(e.file), e]));
    for (const file of definitionFiles(this.dir)) {
      const name = folderOf(file);
      const signature = fileSignature(file);
      if (signature === undefined) continue; // removed meanwhile
      present.add(name);
      if (this.signatures.get(name) === signature) continue;
      changed = true;
      this.signatures.set(name, signature);
      try {
        const loaded = loadDefinitionFile(file);
        this.byName.set(loaded.definition.name, loaded);
        invalid.delete(name);
      } catch (err) {
        if (!(err instanceof DefinitionInvalidError)) {
          this.signatures.delete(name); // read again next time, not taken as read
          throw err;
        }
        this.byName.delete(name);
        invalid.set(name, err);
        onInvalid?.(err);
      }
    }
    for (const name of this.signatures.keys()) {
      if (present.has(name)) continue;
      changed = true;
      this.signatures.delete(name);
      this.byName.delete(name);
      invalid.delete(name);
    }
    this.invalid.splice(0, this.invalid.length, ...[...invalid.keys()].sort().map((n) => invalid.get(n)!));
    if (changed) this.changes++;
    return changed;
  }

  /** The named connector; throws a coded error naming the known ones (or the definition's problems). */
  get(name: string): LoadedConnector {
    const found = this.byName.get(name);
    if (found) return found;
    const broken = this.invalid.find((e) => folderOf(e.file) === name);
    if (broken) throw broken;
    throw new ConnectorNotFoundError(name, this.folderNames());
  }
}
