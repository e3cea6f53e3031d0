import type { Logger } from 'pino';
import { PROJECT_ROOT } from '../../config/config.js';
import type { LoadedConnector } from '../definition/connector-catalog.js';
import type { SourceReader } from '../types.js';

export interface ReaderDeps {
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  projectRoot?: string;
}

/**
 * The reader a definition's kind calls for. Each kind's code (axios for HTTP, exceljs for XLSX, loaded
 * where a file needs it) is imported when a connector of that kind is used: a process syncing a CSV drop
 * loads no HTTP client.
 */
export async function createReader(connector: LoadedConnector, deps: ReaderDeps): Promise<SourceReader> {
  const { definition } = connector;
  const logger = deps.logger.child({ connector: definition.name });
  if (definition.kind === 'http') {
    const { HttpReader } = await import('../http/http-reader.js');
    return new HttpReader(definition.http!, { env: deps.env, logger, name: definition.name });
  }
  const { FileReader } = await import('../file/file-reader.js');
  return new FileReader(definition.file!, { env: deps.env, logger, name: definition.name, projectRoot: deps.projectRoot ?? PROJECT_ROOT, records: definition.records });
}
