import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';

// DATE columns stay ISO strings (yyyy-mm-dd): a birth date is a calendar day, not an instant.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
// bigint identities (audit, outbox) fit in a JS number for the life of the system but we keep them text.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

export type Row = Record<string, unknown>;

/** Counts statements per scope; the N+1 test and the request metrics read it. */
export interface QueryCounter {
  count: number;
}

/**
 * The hub's PostgreSQL access for hand-written SQL (read paths, bulk writes, COPY). MikroORM handles
 * entity writes; both talk to the same database.
 */
export class Sql {
  constructor(readonly pool: pg.Pool) {}

  private readonly names = new Map<string, string>();

  /**
   * Runs a statement as a named prepared statement: each connection parses and plans it once, then only
   * binds and executes (the gateway's reads are a handful of statements run thousands of times a second).
   */
  async query<T extends Row = Row>(text: string, params: unknown[] = [], counter?: QueryCounter): Promise<T[]> {
    if (counter) counter.count++;
    let name = this.names.get(text);
    if (!name) {
      name = `q_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
      // Bounded: statement texts come from code, but filter combinations multiply them.
      if (this.names.size < 5000) this.names.set(text, name);
    }
    const res = await this.pool.query<T>({ name, text, values: params });
    return res.rows;
  }

  async one<T extends Row = Row>(text: string, params: unknown[] = [], counter?: QueryCounter): Promise<T | undefined> {
    const rows = await this.query<T>(text, params, counter);
    return rows[0];
  }

  /**
   * Runs `fn` in a transaction on one connection; rolls back on any error.
   *
   * `asyncCommit`: the commit returns without waiting for its WAL to reach the disk
   * (`synchronous_commit = off` for this transaction only). It is still atomic and at once visible; what a
   * crash of PostgreSQL itself (not of this process) can lose is the last few such commits, whole, never
   * part of one. Only for work that is redone from what it leaves: a sync's batch, whose records commit
   * with the checkpoint it resumes from. The next ordinary commit on the server waits for every earlier one.
   */
  async tx<T>(fn: (client: pg.PoolClient) => Promise<T>, opts: { asyncCommit?: boolean } = {}): Promise<T> {
    const client = await this.pool.connect();
    try {
      // One round trip: the simple protocol takes both statements.
      await client.query(opts.asyncCommit ? 'BEGIN; SET LOCAL synchronous_commit = off' : 'BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * The application name of this process's connections: `childhub <pid>-<random>`, one per process (a pid alone
 * repeats across containers). It tells which connections are one process's: a sync's watchdog closes those of
 * a process frozen holding a connector's lock (ConnectorSyncService.endStalledRuns).
 */
export const PROCESS_APPLICATION_NAME = `childhub ${process.pid}-${randomBytes(4).toString('hex')}`;

/** @see Config.DB_IDLE_IN_TRANSACTION_MS */
const IDLE_IN_TRANSACTION_MS = 300_000;

export function createSql(url: string, max: number, opts: { idleInTransactionMs?: number } = {}): Sql {
  const pool = new pg.Pool({
    connectionString: url, max, idleTimeoutMillis: 30_000, application_name: PROCESS_APPLICATION_NAME, keepAlive: true,
    // A transaction left open by a process that stopped answering is ended by PostgreSQL, its locks released.
    idle_in_transaction_session_timeout: opts.idleInTransactionMs ?? IDLE_IN_TRANSACTION_MS,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // Nor a client in use (a transaction, a sync's lock): its connection's loss is also an 'error' event, which
  // nothing listened to while the client was out of the pool (QA: a PostgreSQL restart mid-sync killed the
  // worker). Its queries fail with the loss, which their callers see; the pool drops it when it comes back.
  // Keepalive: a connection whose peer vanished (a host gone, a half-open TCP) is found dead, not waited on.
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Sql(pool);
}
