import { AppError } from '../../../errors/app-error.js';

/** A configured sheet is not in the workbook; the message lists the sheets that are. */
export class SheetNotFoundError extends AppError {
  override readonly name = 'SheetNotFoundError';
  readonly code = 'CONNECTOR_FILE_SHEET_NOT_FOUND';
  declare readonly storableMessage?: string;

  /**
   * `storable`: what logs and run history keep of the message when it quotes text of the file (the names of the sheets
   * present), instead of losing every quoted part to redaction: the hub's own words and the definition's sheet names
   * (QA: `no sheet [redacted]; the sheets present are [redacted]`).
   */
  constructor(message: string, details: Record<string, unknown> = {}, storable?: string) {
    super(message, details);
    if (storable !== undefined) this.storableMessage = storable;
  }
}
