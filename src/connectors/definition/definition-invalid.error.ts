import { AppError } from '../../errors/app-error.js';

/** One thing wrong with a definition: where (path, line, column) and why. */
export interface DefinitionProblem {
  path: string;
  line: number | null;
  column: number | null;
  message: string;
}

/**
 * What an invalid definition says of itself where it can be read (a string where the schema wants one): shown
 * beside its problems (GraphQL `connectors`) for a connector that never synced, so it is not listed blank.
 * Not validated, so never used to run anything.
 */
export interface DeclaredConnector {
  kind?: string;
  sourceSystem?: string;
  title?: string;
}

/** A connector definition that does not validate; the message lists every problem with its location. */
export class DefinitionInvalidError extends AppError {
  override readonly name = 'DefinitionInvalidError';
  readonly code = 'CONNECTOR_DEFINITION_INVALID';
  /**
   * A definition is configuration, never a record's data: the message is its file, lines, paths and the
   * schema's reasons (which name what was expected, never the value found, so a secret written literally is
   * not repeated). Logs and run history keep it whole, so that an operator reads which key is wrong.
   */
  override readonly messageIsSafe = true;
  constructor(readonly file: string, readonly problems: DefinitionProblem[], readonly declared: DeclaredConnector = {}) {
    super(
      `${file} is not a valid connector definition:\n${problems
        .map((p) => `  ${file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : ''} ${p.path}: ${p.message}`)
        .join('\n')}`,
      { file, problems },
    );
  }
}
