/** Error codes of a connection that could not be made or was refused at login. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The URL as it may be printed: its password replaced, also one given as a parameter (`?password=`, as pg reads it). */
export function redactedDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) if (/pass/i.test(key)) u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}

/**
 * A failure to reach or log in to the PostgreSQL of DATABASE_URL, said naming the setting and the server (its
 * password hidden), code kept (QA: `connect ECONNREFUSED 127.0.0.1:4949` or `[28P01] password authentication
 * failed…` did not say which setting to fix). Any other error is returned as it is.
 */
export function namingDatabaseUrl(err: unknown, url: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !(CONNECTION_CODES.has(code) || code.startsWith('28') || code === '3D000')) return err;
  const message = err instanceof Error ? err.message : String(err);
  return Object.assign(new Error(`cannot use the PostgreSQL of DATABASE_URL (${redactedDatabaseUrl(url)}): ${message}`), { code });
}
