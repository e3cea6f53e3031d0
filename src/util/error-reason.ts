/**
 * What a failed call to a server said, in one line for an operator: a SQLSTATE or system code and the driver's or
 * server's message (`[57P03] the database system is shutting down`, `connect ECONNREFUSED 127.0.0.1:5432`, the
 * code once when the message already holds it). A refused connection to a name with several addresses is an
 * `AggregateError` with a code and no message: its code alone (`ECONNREFUSED`). Neither a pg nor an ioredis error
 * message holds the URL's user or password.
 */
export function errorReason(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const { message, code, name } = err as { message?: unknown; code?: unknown; name?: unknown };
  const text = typeof message === 'string' ? message : '';
  if (typeof code === 'string' && code !== '' && !text.includes(code)) return text ? `[${code}] ${text}` : code;
  if (text) return text;
  return typeof name === 'string' && name !== '' ? name : String(err);
}
