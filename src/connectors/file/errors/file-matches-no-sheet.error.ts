import { FileFormatError } from './file-format.error.js';

/**
 * A file no `sheets` entry of the connector takes: each entry names the files it reads (`files`), and this file's
 * name matches none of them. The message is the hub's own words, the file's label (`fileName` is given as shown: see file-label.ts), the connector's name and the
 * patterns of its definition (configuration, not the file's text), so logs and run history keep it whole.
 */
export class FileMatchesNoSheetError extends FileFormatError {
  override readonly messageIsSafe = true;
  constructor(fileName: string, connector: string, patterns: readonly string[]) {
    super(
      `${fileName} matches no \`sheets\` entry of connector ${connector}: their \`files\` patterns are ${patterns.map((p) => `\`${p}\``).join(', ')}`,
      { file: fileName },
    );
  }
}
