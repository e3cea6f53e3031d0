import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import YAML, { LineCounter } from 'yaml';
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

/**
 * Parses and validates one definition file. Problems name the file, line, column, the path inside the
 * definition and the reason; nothing about a connector is half-accepted.
 */
export function loadDefinitionFile(file: string): LoadedConnector {
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
  const parsed = connectorDefinitionSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const problems: DefinitionProblem[] = parsed.error.issues.map((issue) => {
      const where = locate(doc, lineCounter, issue.path as Array<string | number>);
      return { path: issue.path.length ? issue.path.join('.') : '(definition)', line: where?.line ?? null, column: where?.col ?? null, message: issue.message };
    });
    throw new DefinitionInvalidError(rel, problems);
  }
  const definition = parsed.data;
  const folder = path.dirname(file);
  if (definition.name !== path.basename(folder)) {
    throw new DefinitionInvalidError(rel, [{ path: 'name', line: locate(doc, lineCounter, ['name'])?.line ?? null, column: null, message: `must equal the folder name "${path.basename(folder)}"` }]);
  }
  return {
    definition,
    file,
    folder,
    definitionHash: sha256(canonicalJson(definition)),
    mappingHash: sha256(canonicalJson({ sourceSystem: definition.sourceSystem, records: definition.records })),
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
