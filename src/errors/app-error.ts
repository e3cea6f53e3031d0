/**
 * Base of the hub's typed errors. `code` is stable and reaches GraphQL clients as `extensions.code`;
 * the message must never contain personal data (names, numbers, addresses, health facts).
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  /**
   * Whether the message is made only of the hub's own words, configuration, file names **as labelled** and
   * protocol codes (statuses, OAuth error codes, byte offsets), never of text taken from a record, a cell or a
   * response body. A drop file's name is not safe as such: agencies name files after a child
   * (`khai-sinh-NGUYEN-VAN-AN-001322711590.csv`), so a message names a file only by `fileLabel(name)`
   * (src/connectors/file/file-label.ts: `khai-sinh-[withheld].csv`), never by the name itself. Logs, run
   * history, Redis (a job's failure) and GraphQL keep such a message whole; any other message has its quoted
   * and parenthesised fragments removed, where messages carry the values they complain about. Opt in per class.
   */
  readonly messageIsSafe: boolean = false;
  /**
   * The message as logs and run history keep it, when the class builds one itself (an error made of other
   * errors' messages, each already made safe); otherwise {@link messageIsSafe} decides.
   */
  readonly storableMessage?: string;
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
