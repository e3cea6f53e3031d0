import type { Config } from '../config/config.js';
import type { LocalServerStatus, ServerKind } from '../infra/local-servers.js';

export const SERVER_NAMES: Record<ServerKind, string> = { postgres: 'PostgreSQL', redis: 'Redis' };

/** One line a person reads: `PostgreSQL: running, port 54329, PID 4242, started by hub process 4200 (running), 3 connections`. */
export function describeServer(s: LocalServerStatus, cfg: Pick<Config, 'DATABASE_URL' | 'REDIS_URL'>): string {
  const name = SERVER_NAMES[s.kind];
  const external = s.kind === 'postgres' ? cfg.DATABASE_URL && 'DATABASE_URL' : cfg.REDIS_URL && 'REDIS_URL';
  const note = external ? ` (${external} is set: the hub uses that server, not this one)` : '';
  if (!s.running) return `${name}: not running (${s.dir})${note}`;
  const owner = s.ownerPid === undefined
    ? 'started by an unknown process'
    : s.ownerAlive
      ? `started by hub process ${s.ownerPid} (running; it stops the server when it exits)`
      : `started by hub process ${s.ownerPid}, which is gone: nobody will stop it (\`childhub servers stop\`)`;
  const clients = s.clients === undefined ? 'connections unknown' : `${s.clients} connection${s.clients === 1 ? '' : 's'} from other processes`;
  return `${name}: running, port ${s.port}, PID ${s.pid}, ${owner}, ${clients} (${s.dir})${note}`;
}
