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
import { DefinitionInvalidError, type DefinitionProblem } from './definition-invalid.error.js';

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
  const rel = path.relative(PROJECT_ROOT, file) || file;
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
  if (problems.length || !parsed.success) throw new DefinitionInvalidError(rel, sortByLine(problems));
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
    { connector: path.basename(path.dirname(err.file)), file: err.file, err: loggedOutcome(err) },
    'connector definition invalid: not scheduled or synced until it is fixed',
  );
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

/** Every connector folder under `dir`, validated; invalid ones are reported, valid ones still load. */
export class ConnectorCatalog {
  private constructor(
    readonly dir: string,
    private readonly byName: Map<string, LoadedConnector>,
    readonly invalid: DefinitionInvalidError[],
  ) {}

  static load(dir: string = CONNECTORS_DIR): ConnectorCatalog {
    const catalog = new ConnectorCatalog(dir, new Map(), []);
    catalog.readAdded();
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
   * The named connector, the connectors folder read again first if the catalog does not know it: a definition
   * added (or an invalid one fixed) after the catalog was loaded is taken without a restart, by a long-running
   * worker or gateway alike, and a name still unknown is refused naming every connector defined now.
   * `onInvalid` is told of each invalid definition that reading finds, for the caller to log.
   * Throws as {@link get} when the folder still holds no valid definition of that name.
   */
  getOrLoad(name: string, onInvalid?: (err: DefinitionInvalidError) => void): LoadedConnector {
    if (!this.byName.has(name)) for (const err of this.readAdded()) onInvalid?.(err);
    return this.get(name);
  }

  /**
   * Reads every folder the catalog holds no valid definition for (folders added since, and invalid
   * definitions, which may have been fixed); returns the definitions still invalid. Connectors already known
   * are never read again, so a running process keeps the definitions it started with.
   */
  readAdded(): DefinitionInvalidError[] {
    const invalid: DefinitionInvalidError[] = [];
    for (const file of definitionFiles(this.dir)) {
      if (this.byName.has(path.basename(path.dirname(file)))) continue;
      try {
        const loaded = loadDefinitionFile(file);
        this.byName.set(loaded.definition.name, loaded);
      } catch (err) {
        if (err instanceof DefinitionInvalidError) invalid.push(err);
        else throw err;
      }
    }
    this.invalid.splice(0, this.invalid.length, ...invalid);
    return invalid;
  }

  /** The named connector; throws a coded error naming the known ones (or the definition's problems). */
  get(name: string): LoadedConnector {
    const found = this.byName.get(name);
    if (found) return found;
    const broken = this.invalid.find((e) => path.basename(path.dirname(e.file)) === name);
    if (broken) throw broken;
    throw new ConnectorNotFoundError(name, this.names());
  }
}
