/**
 * Base of the hub's typed errors. `code` is stable and reaches GraphQL clients as `extensions.code`;
 * the message must never contain personal data (names, numbers, addresses, health facts).
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
