import { tcpProxy } from './tcp-proxy.js';

export interface PgRestartProxy {
  /** `target` with the proxy's host and port. */
  url: string;
  /**
   * While true, PostgreSQL looks as it does restarting (`pg_ctl stop -m fast`, then start): the connections open
   * when it was set are cut, and a new one is answered FATAL 57P03 "the database system is shutting down", then
   * closed. Set false, connections pass through again.
   */
  down: boolean;
  close(): void;
}

/** An ErrorResponse message (protocol 3): FATAL, with a SQLSTATE and a message. */
function fatal(code: string, message: string): Buffer {
  const fields = Buffer.concat([
    Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0`, 'utf8'),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(5);
  head.write('E', 0, 'ascii');
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

/** A TCP proxy to a PostgreSQL server that can make it look restarting, for clients that must ride it out. */
export async function pgRestartProxy(target: string): Promise<PgRestartProxy> {
  const state = { down: false };
  const proxy = await tcpProxy(target, {
    accept: (client) => {
      if (!state.down) return true;
      // As a postmaster shutting down answers a new connection's startup message.
      client.once('data', () => client.end(fatal('57P03', 'the database system is shutting down')));
      client.on('error', () => undefined);
      return false;
    },
  });
  return {
    url: proxy.url,
    get down() { return state.down; },
    set down(v: boolean) {
      state.down = v;
      if (v) for (const s of proxy.sockets) s.destroy();
    },
    close: proxy.close,
  };
}
