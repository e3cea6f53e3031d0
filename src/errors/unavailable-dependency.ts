/**
 * What an error says of a service the hub depends on being out of reach (PostgreSQL stopped or restarting,
 * Redis down), as opposed to a fault of the hub: the service, named for a client (`the database`, `the job
 * queue`), or null. A request that meets it is told UPSTREAM_UNAVAILABLE, to try again, rather than
 * INTERNAL_SERVER_ERROR, to report a bug (QA).
 */
export function unavailableDependency(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  const code = (err as { code?: unknown }).code;
  // PostgreSQL: connection exceptions (class 08), and the server shutting down or starting (57P01–57P03).
  if (typeof code === 'string' && (/^08[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03')) return 'the database';
  // node-postgres' own, for a connection lost or not made in time.
  if (/^Connection terminated|^timeout exceeded when trying to connect|^Client has encountered a connection error/.test(err.message)) return 'the database';
  // ioredis, for a connection that is down (producers do not queue commands while it is) or gave up retrying.
  if (err.name === 'MaxRetriesPerRequestError' || /^Stream isn't writeable|^Connection is closed\./.test(err.message)) return 'the job queue';
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') return 'a service the hub depends on';
  return null;
}
