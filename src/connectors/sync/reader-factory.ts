import type { Logger } from 'pino';
import { PROJECT_ROOT } from '../../config/config.js';
import type { LoadedConnector } from '../definition/connector-catalog.js';
import { FileReader } from '../file/file-reader.js';
import { HttpReader } from '../http/http-reader.js';
import type { SourceReader } from '../types.js';

export interface ReaderDeps {
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  projectRoot?: string;
}

/** The reader a definition's kind calls for. */
export function createReader(connector: LoadedConnector, deps: ReaderDeps): SourceReader {
  const { definition } = connector;
  const logger = deps.logger.child({ connector: definition.name });
  if (definition.kind === 'http') {
    return new HttpReader(definition.http!, { env: deps.env, logger, name: definition.name });
  }
  return new FileReader(definition.file!, { env: deps.env, logger, name: definition.name, projectRoot: deps.projectRoot ?? PROJECT_ROOT });
}
