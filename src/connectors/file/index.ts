/** The `kind: file` connector reader (docs/connectors.md#kind-file). */
export { FileReader, filePositionSchema, type FilePosition, type FileReaderDeps } from './file-reader.js';
export {
  DEFAULT_RECORD_TYPE,
  fileConfigSchema,
  fileCsvSchema,
  fileSheetSchema,
  type FileConfig,
  type FileConfigInput,
  type FileCsvOptions,
  type FileSheet,
} from './file.schema.js';
export { FileAccessError } from './errors/file-access.error.js';
export { FileChangedError } from './errors/file-changed.error.js';
export { FileEncodingError } from './errors/file-encoding.error.js';
export { FileFormatError } from './errors/file-format.error.js';
export { FileHeaderError } from './errors/file-header.error.js';
export { SheetNotFoundError } from './errors/sheet-not-found.error.js';
