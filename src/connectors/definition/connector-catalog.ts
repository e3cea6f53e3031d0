import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import YAML, { LineCounter } from 'yaml';
import type { z } from 'zod';
import { PROJECT_ROOT } from '../../config/config.js';
import { loggedOutcome } from '../../observability/logger.js';
import { canonicalJson } from '../../services/ingest/source-record.normalizer.js';
import { connectorDefinitionSchema, type ConnectorDefinition } from './connector-definition.schema.js';
import { ConnectorNotFoundError } from './connector-not-found.error.js';
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
   * SHA-256 of what decides a record's mapped content (source system and record mappings). Part of every
   * record's content hash, so changing the mapping re-processes records on the next sync.
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
export function definitionPath(file: string): string {
  const rel = path.relative(PROJECT_ROOT, path.resolve(file));
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.resolve(file);
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
  const text = readFileSync(file, 'utf8');
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const rel = definitionPath(file);
  if (doc.errors.length) {
    throw new DefinitionInvalidError(rel, doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return { path: '(yaml)', line: pos?.line ?? null, column: pos?.col ?? null, message: e.message.split('\n')[0]! };
    }));
  }
  const input: unknown = doc.toJS();
  const folder = path.dirname(file);
  const name = (input as { name?: unknown } | null)?.name;
  const folderProblem: DefinitionProblem | null = typeof name === 'string' && name !== path.basename(folder)
    ? {
        path: 'name',
        line: locate(doc, lineCounter, ['name'])?.line ?? null,
        column: null,
        message: `must equal the folder name "${path.basename(folder)}" (connectors are found by folder): put the file at connectors/${name}/${DEFINITION_FILE}`,
      }
    : null;
  const problems: DefinitionProblem[] = folderProblem && opts.folderName !== 'note' ? [folderProblem] : [];
  const parsed = connectorDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues.flatMap((i) => expandUnion(i))) {
      const where = locate(doc, lineCounter, issue.path as Array<string | number>);
      problems.push({
        path: issue.path.length ? issue.path.join('.') : '(definition)',
        line: where?.line ?? null,
        column: where?.col ?? null,
        message: isMissing(input, issue) ? 'is required' : issue.message,
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
    mappingHash: sha256(canonicalJson({ sourceSystem: definition.sourceSystem, records: definition.records })),
    notes: folderProblem && opts.folderName === 'note' ? [folderProblem] : [],
  };
}

/**
 * Logs an invalid definition as an error naming its connector, file and problems (no stack: it is the
 * definition's fault, not the code's). A process that runs syncs says so whenever it reads one, since that
 * connector is neither scheduled nor synced until the file is fixed.
 */
export function logInvalidDefinition(logger: Logger, err: DefinitionInvalidError): void {
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
  const st = statSync(file, { throwIfNoEntry: false, bigint: true });
  return st ? `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` : undefined;
}

/** The definition file of every connector folder under `dir`, in name order (a folder removed meanwhile is passed over). */
function definitionFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((entry) => path.join(dir, entry, DEFINITION_FILE))
    .filter((file) => statSync(path.dirname(file), { throwIfNoEntry: false })?.isDirectory() && existsSync(file));
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

/** Whether the issue is about a setting the definition leaves out (zod says "expected object, received undefined"). */
function isMissing(input: unknown, issue: Issue): boolean {
  if (issue.code !== 'invalid_type' || issue.path.length === 0) return false;
  let v: unknown = input;
  for (const key of issue.path) {
    if (v === null || typeof v !== 'object') return false;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v === undefined;
}

const sortByLine = (problems: DefinitionProblem[]) => problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));

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
        if (!(err instanceof DefinitionInvalidError)) throw err;
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
    return changed;
  }

  /** The named connector; throws a coded error naming the known ones (or the definition's problems). */
  get(name: string): LoadedConnector {
    const found = this.byName.get(name);
    if (found) return found;
    const broken = this.invalid.find((e) => folderOf(e.file) === name);
    if (broken) throw broken;
    throw new ConnectorNotFoundError(name, this.names());
  }
}
